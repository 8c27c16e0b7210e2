using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Latent;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>The multi-layer Mahalanobis detector (Lee et al. 2018's feature ensemble), one libtorch thread; the peer is Peers/multilayer_mahalanobis_peer.py on the same shapes and seed.</summary>
/// <remarks>
/// Three layers of 128, 128 and 256 features (512 in all), fitted on 10,000 training samples of 10 classes, scoring 100,000 × 512
/// float32 features with equal weights: one whitening product per layer in float64 (the default) and in float32
/// (<see cref="ScoreArithmetic.Float32"/>, the opt-in path the peer's one-GEMM-per-layer float32 form is compared with).
/// </remarks>
[MemoryDiagnoser]
public class MultiLayerMahalanobisBenchmarks
{
    private static readonly long[] Widths = [128, 128, 256];
    private MultiLayerMahalanobisDetector detector = null!;
    private Tensor test = null!;
    private Tensor[] layers = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        using var generator = new Generator(0);
        using var train = torch.randn(new long[] { 10_000, 512 }, generator: generator);
        using var labels = torch.arange(10_000, dtype: ScalarType.Int64).remainder(10);
        detector = MultiLayerMahalanobisDetector.Fit(train.split(Widths, 1), labels, 10, CovarianceMethod.Empirical);
        test = torch.randn(new long[] { 100_000, 512 }, generator: generator);
        layers = test.split(Widths, 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        detector.Dispose();
        foreach (var layer in layers)
        {
            layer.Dispose();
        }

        test.Dispose();
    }

    [Benchmark]
    public void MultiLayerMahalanobis() => detector.Score(layers).Dispose();

    [Benchmark]
    public void MultiLayerMahalanobisFloat32() => detector.Score(layers, ScoreArithmetic.Float32).Dispose();
}
