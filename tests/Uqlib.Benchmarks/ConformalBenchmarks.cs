using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Conformal;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>Conformal set prediction for 10⁶ cases × 100 classes (float32 probabilities), LAC and randomised APS; the peer is Peers/conformal_peer.py.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class ConformalBenchmarks
{
    private Tensor probabilities = null!;
    private ConformalClassifier classifier = null!;

    /// <summary>Gets or sets the score: LAC needs no sort, APS sorts every row.</summary>
    [Params(SetScore.Lac, SetScore.Aps)]
    public SetScore Score { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        var generator = torch.manual_seed(0);
        probabilities = torch.randn(new long[] { 1_000_000, 100 }, generator: generator).mul_(2).softmax(1);
        using var calibration = torch.randn(new long[] { 10_000, 100 }, generator: generator).mul_(2).softmax(1);
        using var labels = calibration.multinomial(1, generator: generator).squeeze(1);
        classifier = ConformalClassifier.Fit(calibration, labels, new ConformalSetOptions { Score = Score, Randomized = Score == SetScore.Aps });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        probabilities.Dispose();
    }

    [Benchmark]
    public long Predict()
    {
        using var sets = classifier.Predict(probabilities, 0.1);
        return sets.Count;
    }
}
