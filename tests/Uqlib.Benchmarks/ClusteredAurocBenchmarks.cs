using System;
using BenchmarkDotNet.Attributes;
using Uqlib.Evaluation;

namespace Uqlib.Benchmarks;

/// <summary>
/// Clustered AUROC (Obuchowski 1997) with its variance and 95% CI on 10⁶ cases in 10⁵ clusters of 10, DeLong's CI on the same cases
/// as the baseline, the clustered paired test, and 1,000 cluster-bootstrap resamples of 10⁴ cases in 10³ clusters. Each cluster shares a
/// N(0, 1) shift of its scores and a failure rate of 0.4 or 0.1; failures score 0.5 higher. Cluster ids are built once (setup).
/// </summary>
[MemoryDiagnoser]
public class ClusteredAurocBenchmarks
{
    private double[] scores = null!;
    private double[] scores2 = null!;
    private bool[] failures = null!;
    private ClusterIds clusters = null!;
    private double[] smallScores = null!;
    private bool[] smallFailures = null!;
    private ClusterIds smallClusters = null!;
    private long[] keys = null!;

    [GlobalSetup]
    public void Setup()
    {
        (scores, scores2, failures, clusters) = Cases(100_000, 10, 1);
        (smallScores, _, smallFailures, smallClusters) = Cases(1_000, 10, 2);
        keys = Keys(100_000, 10);
    }

    [Benchmark(Baseline = true)]
    public ConfidenceInterval DeLongCi_1e6() => DeLong.AurocCi(scores, failures);

    [Benchmark]
    public ClusteredAurocResult ClusteredCi_1e6_In1e5Clusters() => ClusteredAuroc.Estimate(scores, failures, clusters);

    [Benchmark]
    public ClusteredAurocTestResult ClusteredPairedTest_1e6_In1e5Clusters() => ClusteredAuroc.PairedTest(scores, scores2, failures, clusters);

    [Benchmark]
    public ClusterIds ClusterIds_1e6_In1e5Clusters() => ClusterIds.From(keys);

    [Benchmark]
    public BootstrapResult ClusterBootstrap1000_1e4_In1e3Clusters() =>
        Bootstrap.Ci(smallScores, smallFailures, smallClusters, FailureMetric.Auroc);

    private static long[] Keys(int clusterCount, int size)
    {
        var keys = new long[clusterCount * size];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = i / size;
        }

        return keys;
    }

    private static (double[] Scores, double[] Scores2, bool[] Failures, ClusterIds Clusters) Cases(int clusterCount, int size, int seed)
    {
        var random = new Random(seed);
        var n = clusterCount * size;
        var scores = new double[n];
        var scores2 = new double[n];
        var failures = new bool[n];
        for (var c = 0; c < clusterCount; c++)
        {
            var shift = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            var rate = random.NextDouble() < 0.5 ? 0.4 : 0.1;
            for (var k = 0; k < size; k++)
            {
                var i = (c * size) + k;
                failures[i] = random.NextDouble() < rate;
                scores[i] = shift + random.NextDouble() + (failures[i] ? 0.5 : 0);
                scores2[i] = (0.5 * scores[i]) + (0.5 * random.NextDouble());
            }
        }

        return (scores, scores2, failures, ClusterIds.From(Keys(clusterCount, size)));
    }
}
