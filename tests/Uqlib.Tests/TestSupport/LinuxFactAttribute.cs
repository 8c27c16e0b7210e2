using System;
using Xunit;

namespace Uqlib.Tests.TestSupport;

/// <summary>A fact that reads Linux's <c>/proc</c> (see <see cref="PeakMemory"/>): skipped, with the reason, on other systems.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "Peak memory is read from /proc/self/status, which only Linux has.";
        }
    }
}
