using TorchSharp;

namespace Uqlib.Interactive.Tests.TestSupport;

/// <summary>The number of native tensors alive on this thread, to prove that a call leaks none.</summary>
internal static class LiveTensors
{
    public static long Count => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
}
