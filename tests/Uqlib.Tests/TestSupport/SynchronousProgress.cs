using System;

namespace Uqlib.Tests.TestSupport;

/// <summary>Reports progress on the calling thread, so a test sees every report before the call returns (unlike <see cref="Progress{T}"/>).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
