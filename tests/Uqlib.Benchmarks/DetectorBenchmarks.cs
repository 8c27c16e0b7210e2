using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Ensembles;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>The issue-17 detectors on 10⁵ × 512 features, one libtorch thread; the peer is Peers/detectors_peer.py on the same shapes and seed.</summary>
/// <remarks>
/// fDBD: scoring 100,000 × 512 float32 features against a 100-class final layer (computed in float64, as the peer's float64 row).
/// NNGuide: a bank of 100,000 × 512 training features, k = 100, scoring 1,000 queries per invocation (the cost is linear in the queries;
/// 10⁵ queries would take minutes on the shared machine). MCM: 100,000 × 512 image embeddings against 100 concepts, τ = 1.
/// Sub-ensembles: 10 members' probabilities over 100,000 samples and 10 classes, 50 subsets of 5, variance of the predicted-class probability.
/// GEN (γ = 0.1, M = 100) and KL matching (templates fitted on the same probabilities): 100,000 × 100 probabilities. ODIN (T = 1000,
/// ε = 0.0014): the network is a 512 → 100 linear layer on the 100,000 × 512 features (one forward and backward pass and a second forward pass).
/// </remarks>
[MemoryDiagnoser]
public class DetectorBenchmarks
{
    private FdbdDetector fdbd = null!;
    private NnGuideDetector nnguide = null!;
    private Tensor features = null!;
    private Tensor queries = null!;
    private Tensor concepts = null!;
    private Tensor members = null!;
    private Tensor probabilities = null!;
    private KlMatching klMatching = null!;
    private TorchSharp.Modules.Linear odinNetwork = null!;
    private OdinEstimator odin = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        using var generator = new Generator(0);
        using var train = torch.randn(new long[] { 100_000, 512 }, generator: generator).relu_();
        using var weight = torch.randn(new long[] { 100, 512 }, generator: generator).div_(10);
        using var bias = torch.randn(new long[] { 100 }, generator: generator);
        features = torch.randn(new long[] { 100_000, 512 }, generator: generator).relu_();
        queries = features.narrow(0, 0, 1_000).clone();
        fdbd = FdbdDetector.Fit(train, weight, bias);
        nnguide = NnGuideDetector.Fit(train, weight, bias);
        concepts = torch.randn(new long[] { 100, 512 }, generator: generator);
        using var logits = torch.randn(new long[] { 10, 100_000, 10 }, generator: generator);
        members = logits.softmax(2);
        using var classLogits = torch.randn(new long[] { 100_000, 100 }, generator: generator);
        probabilities = classLogits.softmax(1);
        klMatching = KlMatching.Fit(probabilities);
        odinNetwork = nn.Linear(512, 100);
        using (torch.no_grad())
        {
            using var odinWeight = torch.randn(new long[] { 100, 512 }, generator: generator).div_(10);
            using var odinBias = torch.randn(new long[] { 100 }, generator: generator);
            odinNetwork.weight!.copy_(odinWeight);
            odinNetwork.bias!.copy_(odinBias);
        }

        odin = new OdinEstimator(new TorchModuleModel(odinNetwork, OutputKind.MulticlassLogits));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        fdbd.Dispose();
        nnguide.Dispose();
        features.Dispose();
        queries.Dispose();
        concepts.Dispose();
        members.Dispose();
        probabilities.Dispose();
        klMatching.Dispose();
        odinNetwork.Dispose();
    }

    [Benchmark]
    public void Fdbd() => fdbd.Score(features).Dispose();

    [Benchmark]
    public void NnGuide() => nnguide.Score(queries).Dispose();

    [Benchmark]
    public void MaxConceptMatching() => OodScores.MaxConceptMatching(features, concepts).Dispose();

    [Benchmark]
    public void SubEnsemblePredictionVariance() => SubEnsembles.PredictionVariance(members, new SubEnsembleOptions { SubsetSize = 5, Subsets = 50 }).Dispose();

    [Benchmark]
    public void Gen() => OodScores.Gen(probabilities).Dispose();

    [Benchmark]
    public void KlMatchingScore() => klMatching.Score(probabilities).Dispose();

    [Benchmark]
    public void Odin() => odin.Estimate(features).Dispose();
}
