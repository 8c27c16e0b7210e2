using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Uqlib.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project tests/Uqlib.Benchmarks -- --filter '*'</c>.</summary>
/// <remarks>
/// Benchmarks run in process, in this build's output folder, where the TorchSharp natives of this machine were copied and
/// fixed (see src/Uqlib/build/Uqlib.targets); a separately generated benchmark project would have neither.
/// </remarks>
public static class Program
{
    public static void Main(string[] args)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(2)
            .WithIterationCount(10);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.AddJob(job));
    }
}
