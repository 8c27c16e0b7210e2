using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Uqlib.Tests.TestSupport;

namespace Uqlib.Benchmarks;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release --project tests/Uqlib.Benchmarks -- --filter '*'</c>; with <c>--peak-memory-rows</c>,
/// the peak-memory rows instead (see <see cref="PeakMemoryRows"/>); with <c>--shard-merge-rows</c>, the sharded-pass cost rows of docs/scale.md
/// (see <see cref="ShardMergeRows"/>); with <c>--cold-start-rows</c>, first calls in fresh processes (see <see cref="ColdStartRows"/>).
/// </summary>
/// <remarks>
/// Benchmarks run in process, in this build's output folder, where the TorchSharp natives of this machine were copied and
/// fixed (see src/Uqlib/build/Uqlib.targets); a separately generated benchmark project would have neither.
/// </remarks>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == PeakMemoryRows.Flag)
        {
            PeakMemoryRows.Print();
            return;
        }

        if (args.Length > 0 && args[0] == ColdStartRows.Flag)
        {
            ColdStartRows.Print(args);
            return;
        }

        if (ColdStartRows.IsChild(args))
        {
            ColdStartRows.RunChild();
            return;
        }

        if (args.Length > 0 && args[0] == ShardMergeRows.Flag)
        {
            ShardMergeRows.Print();
            return;
        }

        if (PeakMemory.IsChild(args))
        {
            PeakMemory.RunChild(args);
            return;
        }

        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithWarmupCount(2)
            .WithIterationCount(10);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.AddJob(job));
    }
}
