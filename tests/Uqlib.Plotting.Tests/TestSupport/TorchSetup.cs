using System.Runtime.CompilerServices;
using TorchSharp;

namespace Uqlib.Plotting.Tests.TestSupport;

internal static class TorchSetup
{
    /// <summary>One libtorch thread: the shared build machine has two cores.</summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        torch.set_num_threads(1);
    }
}
