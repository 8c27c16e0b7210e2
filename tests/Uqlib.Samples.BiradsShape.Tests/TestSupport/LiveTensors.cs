using TorchSharp;

namespace Uqlib.Samples.BiradsShape.Tests.TestSupport;

/// <summary>Counts the tensors created and not yet disposed on the current thread, to prove that calls leak nothing.</summary>
internal static class LiveTensors
{
    public static long Count => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
}
