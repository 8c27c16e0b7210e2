using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Ensembles;
using Uqlib.Models;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>
/// Test-time-augmentation maps for a batch of 3-D volumes: inputs (4, 1, 64, 128, 128) float32, a model giving (4, 2, 64, 128, 128)
/// logits, 8 geometric augmentations (identity, three flips, three rot90, flip ∘ rot90), mutual-information map, one libtorch thread.
/// The peer is Peers/segmentation_tta_peer.py (the same passes in PyTorch).
/// </summary>
/// <remarks>
/// The model is pointwise (logits ±(6x − 3)) so that the figures measure what TTA adds: augmenting, softmax, inverting and the running
/// sums. The native peak of one call, streamed (one augmentation per pass) and in one pass of 8 copies, is printed from
/// <see cref="SegmentationMapsBenchmarks.ReportPeak"/>.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
public class SegmentationTtaBenchmarks
{
    private Tensor inputs = null!;
    private IModel model = null!;
    private TestTimeAugmentationEstimator streamed = null!;
    private TestTimeAugmentationEstimator onePass = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        inputs = torch.rand(new long[] { 4, 1, 64, 128, 128 }, generator: torch.manual_seed(0));
        model = new DelegateModel(
            x =>
            {
                using var scope = torch.NewDisposeScope();
                var z = x.mul(6).sub_(3);
                return torch.cat(new[] { z, z.neg() }, 1).MoveToOuterDisposeScope();
            },
            OutputKind.MulticlassLogits);
        var policy = TtaPolicy.Of(
            Augmentations.Identity, Augmentations.Flip(0), Augmentations.Flip(1), Augmentations.Flip(2),
            Augmentations.Rot90(1), Augmentations.Rot90(2), Augmentations.Rot90(3), Augmentations.Compose(Augmentations.Flip(0), Augmentations.Rot90(1)));
        streamed = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.MutualInformation, new TtaOptions { MaxAugmentedBatchSize = 1 });
        onePass = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.MutualInformation);
        SegmentationMapsBenchmarks.ReportPeak(nameof(EightPlainForwardPasses), EightPlainForwardPasses);
        SegmentationMapsBenchmarks.ReportPeak(nameof(TtaMapsStreamed), TtaMapsStreamed);
        SegmentationMapsBenchmarks.ReportPeak("TtaMapsOnePass", () => onePass.Estimate(inputs).Dispose());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        inputs.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void EightPlainForwardPasses()
    {
        for (var k = 0; k < 8; k++)
        {
            model.Forward(inputs).Dispose();
        }
    }

    [Benchmark]
    public void TtaMapsStreamed() => streamed.Estimate(inputs).Dispose();
}
