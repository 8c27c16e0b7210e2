using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Calibration;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>Temperature fit on (50,000 × 100) float32 logits and ECE on (1,000,000 × 10) float32 probabilities, one libtorch thread; the peer is Peers/calibration_peer.py.</summary>
[MemoryDiagnoser]
public class CalibrationBenchmarks
{
    private Tensor logits = null!;
    private Tensor labels = null!;
    private Tensor probabilities = null!;
    private Tensor eceLabels = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        // Over-confident logits: labels drawn from softmax(z / 2), so the fitted temperature is near 2.
        logits = torch.randn(50_000, 100, generator: torch.manual_seed(0)).mul_(3);
        using (var truth = logits.div(2).softmax(1))
        {
            labels = truth.multinomial(1, generator: torch.manual_seed(1)).squeeze(1);
        }

        using (var z = torch.randn(1_000_000, 10, generator: torch.manual_seed(2)).mul_(2))
        {
            probabilities = z.softmax(1);
        }

        eceLabels = torch.randint(0, 10, new long[] { 1_000_000 }, generator: torch.manual_seed(3));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        logits.Dispose();
        labels.Dispose();
        probabilities.Dispose();
        eceLabels.Dispose();
    }

    [Benchmark]
    public double TemperatureFit() => TemperatureScaling.Fit(logits, labels).Temperature;

    [Benchmark]
    public double Ece() => CalibrationMetrics.Ece(probabilities, eceLabels);
}
