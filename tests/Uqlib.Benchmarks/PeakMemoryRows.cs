using System;
using System.Globalization;
using Uqlib.Tests.TestSupport;

namespace Uqlib.Benchmarks;

/// <summary>
/// The peak-memory rows of docs/benchmarks.md: each scenario of <see cref="StreamingBenchmarks"/> runs in a fresh process and its resident
/// high-water mark over its whole life is printed, as Peers/memory_peer.py prints Python's <c>ru_maxrss</c> for the same work.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/Uqlib.Benchmarks -- --peak-memory-rows</c> (Linux: it reads /proc).</remarks>
internal static class PeakMemoryRows
{
    public const string Flag = "--peak-memory-rows";

    public static void Print()
    {
        Console.WriteLine("| work | peak RSS (MiB) |");
        Console.WriteLine("|---|---|");
        Row("nothing (the process with libtorch loaded)", StreamingBenchmarks.Idle);
        Row("kNN scores, 10,000 queries × 50,000 × 512, k = 50", StreamingBenchmarks.KnnOf10000Queries);
        Row("Estimate of 10,000 images, MaxBatchSize = 500", StreamingBenchmarks.EstimateOfImagesInChunks, "500");
        Row("Estimate of 10,000 images, no MaxBatchSize", StreamingBenchmarks.EstimateOfImagesInChunks, "none");
        Row("EstimateAll over 10^5 images (200 batches of 500)", StreamingBenchmarks.EstimateAllOfImages, "100000");
        Row("EstimateAll over 10^6 images (2,000 batches of 500)", StreamingBenchmarks.EstimateAllOfImages, "1000000");
        Row("RocEvaluator.Evaluate of 10^7 scores (metrics, DeLong CI, ROC/PR/RC curves)", RocEvaluatorBenchmarks.EvaluateOf10Million);
        Row("RocEvaluator.Metrics of 10^7 scores (AUROC, AP, FPR@95, AURC)", RocEvaluatorBenchmarks.MetricsOf10Million);
    }

    private static void Row(string work, Action<string[]> scenario, params string[] arguments)
    {
        var peak = PeakMemory.MeasureProcessMiB(scenario, arguments);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {work} | {peak:F0} |"));
    }
}
