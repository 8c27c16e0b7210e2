using System;
using System.Globalization;
using System.IO;
using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Segmentation;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>
/// Per-voxel maps and their image-level aggregation for a batch of 3-D volumes, multiclass logits (4 × 2 × 64 × 128 × 128) float32,
/// one libtorch thread; the peer is Peers/segmentation_maps_peer.py.
/// </summary>
/// <remarks>
/// BenchmarkDotNet's memory diagnoser sees managed memory only; the native peak of each operation is measured once in
/// <see cref="Setup"/> from the process's peak resident set (VmHWM, reset through /proc/self/clear_refs) and printed.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
public class SegmentationMapsBenchmarks
{
    private Tensor logits = null!;
    private Tensor entropy = null!;
    private Tensor mask = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        logits = torch.randn(new long[] { 4, 2, 64, 128, 128 }, generator: torch.manual_seed(0));
        entropy = SegmentationScores.EntropyMap(logits, OutputKind.MulticlassLogits);
        mask = SegmentationScores.PredictedMask(logits, OutputKind.MulticlassLogits);
        ReportPeak(nameof(EntropyMap), EntropyMap);
        ReportPeak(nameof(OneMinusMaxProbabilityMap), OneMinusMaxProbabilityMap);
        ReportPeak(nameof(BoundaryMean), BoundaryMean);
        ReportPeak(nameof(Percentile), Percentile);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        logits.Dispose();
        entropy.Dispose();
        mask.Dispose();
    }

    [Benchmark]
    public void EntropyMap() => SegmentationScores.EntropyMap(logits, OutputKind.MulticlassLogits).Dispose();

    [Benchmark]
    public void OneMinusMaxProbabilityMap() => SegmentationScores.OneMinusMaxProbabilityMap(logits, OutputKind.MulticlassLogits).Dispose();

    [Benchmark]
    public void BoundaryMean() => MapAggregation.BoundaryMean(entropy, mask, 2).Dispose();

    [Benchmark]
    public void Percentile() => MapAggregation.Percentile(entropy, 95).Dispose();

    /// <summary>Runs an operation once and prints how far the peak resident set rose above the resident set before it.</summary>
    internal static void ReportPeak(string name, Action action)
    {
        GC.Collect();
        var before = StatusKilobytes("VmRSS:");
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException)
        {
            Console.WriteLine($"// {name}: peak memory not measurable here (/proc/self/clear_refs)");
            return;
        }

        action();
        var peak = StatusKilobytes("VmHWM:");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {name}: native peak above baseline {(peak - before) / 1024.0:F1} MiB"));
    }

    private static long StatusKilobytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
