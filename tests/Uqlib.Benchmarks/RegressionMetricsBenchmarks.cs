using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Regression;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>Regression calibration metrics and split conformal fitting on 10⁶ float64 Gaussian predictions; the peer is Peers/regression_metrics_peer.py.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class RegressionMetricsBenchmarks
{
    private Tensor mean = null!;
    private Tensor variance = null!;
    private Tensor targets = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        var generator = torch.manual_seed(0);
        mean = torch.randn(1_000_000, generator: generator, dtype: ScalarType.Float64);
        variance = torch.rand(1_000_000, generator: generator, dtype: ScalarType.Float64).add_(0.1);
        using var noise = torch.randn(1_000_000, generator: generator, dtype: ScalarType.Float64);
        targets = noise.mul(variance.sqrt()).add_(mean);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        mean.Dispose();
        variance.Dispose();
        targets.Dispose();
    }

    [Benchmark]
    public double GaussianNll() => RegressionMetrics.GaussianNll(mean, variance, targets);

    [Benchmark]
    public double Ence() => RegressionMetrics.Ence(mean, variance, targets);

    [Benchmark]
    public double MiscalibrationArea() => RegressionMetrics.MiscalibrationArea(mean, variance, targets);

    [Benchmark]
    public double SplitConformalNormalized() => SplitConformal.FitNormalized(mean, variance, targets).Quantiles(0.1)[0];
}
