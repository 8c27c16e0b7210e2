using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Latent;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>Latent-space scores, one libtorch thread; the peer is Peers/latent_peer.py on the same shapes.</summary>
/// <remarks>
/// kNN: float32 queries against a 50,000 × 512 bank, k = 50 (default chunking: at most 2²⁴ similarities at once); 1,000 queries
/// per invocation (the 10,000 take ~30 s each on the shared machine, past the in-process toolchain's limit; the cost is
/// linear in the queries).
/// Mahalanobis: fitted on 10,000 × 512 features of 10 classes, scoring 10,000 × 512 float32 features, computed in float64 (the
/// default) and in float32 (<see cref="ScoreArithmetic.Float32"/>, the opt-in path the peer's one-GEMM float32 form is compared with).
/// Relative Mahalanobis (two Gaussians) in float64, as a row of its own.
/// kNN distances are exact in float64 (float32 candidates refined in float64); the peers' are float32 √(2 − 2s) (PyTorch) and
/// float32 squared distances (faiss <c>IndexFlatL2</c>).
/// </remarks>
[MemoryDiagnoser]
public class LatentBenchmarks
{
    private KnnDetector knn = null!;
    private MahalanobisDetector mahalanobis = null!;
    private RelativeMahalanobisDetector relative = null!;
    private Tensor queries = null!;
    private Tensor test = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        using var generator = new Generator(0);
        using var bank = torch.randn(new long[] { 50_000, 512 }, generator: generator);
        knn = KnnDetector.Fit(bank, new KnnOptions { K = 50 });
        queries = torch.randn(new long[] { 1_000, 512 }, generator: generator);
        using var train = torch.randn(new long[] { 10_000, 512 }, generator: generator);
        using var labels = torch.arange(10_000, dtype: ScalarType.Int64).remainder(10);
        mahalanobis = MahalanobisDetector.Fit(train, labels, 10, CovarianceMethod.Empirical);
        relative = RelativeMahalanobisDetector.Fit(train, labels, 10, CovarianceMethod.Empirical);
        test = torch.randn(new long[] { 10_000, 512 }, generator: generator);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        knn.Dispose();
        mahalanobis.Dispose();
        relative.Dispose();
        queries.Dispose();
        test.Dispose();
    }

    [Benchmark]
    public void Knn() => knn.Score(queries).Dispose();

    [Benchmark]
    public void Mahalanobis() => mahalanobis.Score(test).Dispose();

    [Benchmark]
    public void MahalanobisFloat32() => mahalanobis.Score(test, ScoreArithmetic.Float32).Dispose();

    [Benchmark]
    public void RelativeMahalanobis() => relative.Score(test).Dispose();
}
