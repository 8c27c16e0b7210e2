using System.Linq;
using System.Runtime.CompilerServices;
using FluentAssertions;
using Xunit;

namespace Uqlib.Tests.Build;

/// <summary>Packages reach the core through its public API or linked shared source, never its internals (a user mixing versions would break at run time).</summary>
public sealed class PackageBoundaryTests
{
    [Fact]
    public void Core_GrantsInternalsOnlyToItsOwnTestsAndBenchmarks()
    {
        var friends = typeof(Preconditions).Assembly.GetCustomAttributes(typeof(InternalsVisibleToAttribute), false)
            .Cast<InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName)
            .OrderBy(name => name, System.StringComparer.Ordinal);

        friends.Should().Equal("Uqlib.Benchmarks", "Uqlib.Tests");
    }
}
