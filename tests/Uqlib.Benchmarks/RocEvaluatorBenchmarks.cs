using System;
using BenchmarkDotNet.Attributes;
using Uqlib.Evaluation;

namespace Uqlib.Benchmarks;

/// <summary>
/// Failure-detection metrics: AUROC + AP and the full evaluation on 10⁷ scores, DeLong on 10⁵ cases, 1,000 stratified bootstrap
/// resamples of 10,000 cases. Scores are U(0, 1) + 0.3 for failures (20% failures), float64. Peers: Peers/roc_peer.py (scikit-learn)
/// and Peers/delong_peer.R (pROC).
/// </summary>
[MemoryDiagnoser]
public class RocEvaluatorBenchmarks
{
    private double[] largeScores = null!;
    private bool[] largeFailures = null!;
    private double[] mediumScores = null!;
    private double[] mediumScores2 = null!;
    private bool[] mediumFailures = null!;
    private double[] smallScores = null!;
    private bool[] smallFailures = null!;

    [GlobalSetup]
    public void Setup()
    {
        (largeScores, largeFailures, _) = Cases(10_000_000, 1);
        (mediumScores, mediumFailures, mediumScores2) = Cases(100_000, 2);
        (smallScores, smallFailures, _) = Cases(10_000, 3);
    }

    [Benchmark]
    public double Auroc_1e7() => RocEvaluator.Auroc(largeScores, largeFailures);

    [Benchmark]
    public double AurocAndAp_1e7()
    {
        var metrics = RocEvaluator.Metrics(largeScores, largeFailures);
        return metrics.Auroc + metrics.AveragePrecision;
    }

    [Benchmark]
    public FailureDetectionResult Evaluate_1e7() => RocEvaluator.Evaluate(largeScores, largeFailures);

    [Benchmark]
    public ConfidenceInterval DeLongCi_1e5() => DeLong.AurocCi(mediumScores, mediumFailures);

    [Benchmark]
    public DeLongTestResult DeLongPairedTest_1e5() => DeLong.PairedTest(mediumScores, mediumScores2, mediumFailures);

    [Benchmark]
    public BootstrapResult Bootstrap1000_1e4_OneThread() =>
        Bootstrap.Ci(smallScores, smallFailures, FailureMetric.Auroc, new BootstrapOptions { MaxDegreeOfParallelism = 1 });

    [Benchmark]
    public BootstrapResult Bootstrap1000_1e4_AllCores() => Bootstrap.Ci(smallScores, smallFailures, FailureMetric.Auroc);

    /// <summary>Peak-memory scenario: the full <see cref="RocEvaluator.Evaluate(ReadOnlySpan{double}, ReadOnlySpan{bool}, RocOptions?)"/> of 10⁷ cases (beside Peers/memory_peer.py roc).</summary>
    internal static void EvaluateOf10Million(string[] arguments)
    {
        var (scores, failures, _) = Cases(10_000_000, 1);
        GC.KeepAlive(RocEvaluator.Evaluate(scores, failures));
    }

    /// <summary>Peak-memory scenario: AUROC and average precision of 10⁷ cases from one walk (beside Peers/memory_peer.py roc-metrics).</summary>
    internal static void MetricsOf10Million(string[] arguments)
    {
        var (scores, failures, _) = Cases(10_000_000, 1);
        GC.KeepAlive(RocEvaluator.Metrics(scores, failures));
    }

    private static (double[] Scores, bool[] Failures, double[] Scores2) Cases(int n, int seed)
    {
        var random = new Random(seed);
        var scores = new double[n];
        var scores2 = new double[n];
        var failures = new bool[n];
        for (var i = 0; i < n; i++)
        {
            failures[i] = random.NextDouble() < 0.2;
            scores[i] = random.NextDouble() + (failures[i] ? 0.3 : 0);
            scores2[i] = (0.5 * scores[i]) + (0.5 * random.NextDouble());
        }

        return (scores, failures, scores2);
    }
}
