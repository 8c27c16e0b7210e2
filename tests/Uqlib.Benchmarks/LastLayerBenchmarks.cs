using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Latent;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>
/// The detectors that reshape the penultimate activations or the final layer (ReAct, ASH-S, DICE, GradNorm), one libtorch thread, on
/// 10⁵ × 512 float32 non-negative features and a 10-class final layer; the peer is Peers/last_layer_peer.py on the same shapes.
/// </summary>
/// <remarks>Scoring converts the features to float64 (as every latent detector does); ReAct's fit is one percentile over 5.12 × 10⁷ activations.</remarks>
[MemoryDiagnoser]
public class LastLayerBenchmarks
{
    private Tensor features = null!;
    private Tensor weight = null!;
    private Tensor bias = null!;
    private ReactDetector react = null!;
    private AshDetector ash = null!;
    private DiceDetector dice = null!;
    private GradNormDetector gradNorm = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        using var generator = new Generator(0);
        features = torch.randn(new long[] { 100_000, 512 }, generator: generator).relu_();
        weight = torch.randn(new long[] { 10, 512 }, generator: generator).div_(16);
        bias = torch.randn(new long[] { 10 }, generator: generator);
        react = ReactDetector.Fit(features, weight, bias);
        ash = AshDetector.Create(weight, bias);
        dice = DiceDetector.Fit(features, weight, bias);
        gradNorm = GradNormDetector.Create(weight, bias);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        react.Dispose();
        ash.Dispose();
        dice.Dispose();
        gradNorm.Dispose();
        features.Dispose();
        weight.Dispose();
        bias.Dispose();
    }

    [Benchmark]
    public void ReactFit() => ReactDetector.Fit(features, weight, bias).Dispose();

    [Benchmark]
    public void React() => react.Score(features).Dispose();

    [Benchmark]
    public void AshS() => ash.Score(features).Dispose();

    [Benchmark]
    public void Dice() => dice.Score(features).Dispose();

    [Benchmark]
    public void GradNorm() => gradNorm.Score(features).Dispose();
}
