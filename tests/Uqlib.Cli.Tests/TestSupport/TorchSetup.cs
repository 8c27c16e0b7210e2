using System.Runtime.CompilerServices;
using TorchSharp;

namespace Uqlib.Cli.Tests.TestSupport;

internal static class TorchSetup
{
    /// <summary>libtorch's default OpenMP threads run many times slower on a loaded 2-core machine; tests choose one thread.</summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        torch.set_num_threads(1);
    }
}
