using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>Softmax scores from (100,000 × 1,000) float32 logits, one libtorch thread; the peer is Peers/softmax_scores_peer.py.</summary>
[MemoryDiagnoser]
public class SoftmaxScoresBenchmarks
{
    private Tensor logits = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        logits = torch.randn(100_000, 1_000, generator: torch.manual_seed(0));
    }

    [GlobalCleanup]
    public void Cleanup() => logits.Dispose();

    [Benchmark]
    public void OneMinusMaxProbability() => SoftmaxScores.Compute(SoftmaxScore.OneMinusMaxProbability, logits, OutputKind.MulticlassLogits).Dispose();

    [Benchmark]
    public void Entropy() => SoftmaxScores.Compute(SoftmaxScore.Entropy, logits, OutputKind.MulticlassLogits).Dispose();

    [Benchmark]
    public void Energy() => SoftmaxScores.Compute(SoftmaxScore.Energy, logits, OutputKind.MulticlassLogits).Dispose();
}
