using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Ensembles;
using Uqlib.Models;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>
/// Test-time augmentation with K = 8 and a deep ensemble of 5, each against the plain forward passes it is made of, over 2,000
/// (1 × 28 × 28) float32 images in batches of 500, on a small CNN (conv 8 → pool → conv 16 → pool → linear 10), one libtorch thread.
/// The peer is Peers/tta_peer.py (the same CNN and passes in PyTorch).
/// </summary>
[MemoryDiagnoser]
public class TtaBenchmarks
{
    private const int Images = 2_000;
    private const int BatchSize = 500;

    private readonly List<Tensor> batches = new();
    private readonly List<Tensor> weights = new();
    private IModel[] members = null!;
    private TestTimeAugmentationEstimator tta = null!;
    private DeepEnsembleEstimator ensemble = null!;
    private TtaPolicy policy = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        var all = torch.rand(new long[] { Images, 1, 28, 28 }, generator: torch.manual_seed(0));
        for (var start = 0; start < Images; start += BatchSize)
        {
            batches.Add(all.narrow(0, start, BatchSize).contiguous());
        }

        all.Dispose();
        members = new IModel[5];
        for (var m = 0; m < members.Length; m++)
        {
            members[m] = SmallCnn.Create(m, weights);
        }

        policy = TtaPolicy.Of(
            Augmentations.Identity, Augmentations.Flip(-1), Augmentations.Flip(0), Augmentations.Rotate(10),
            Augmentations.Brightness(0.1), Augmentations.Contrast(1.2), Augmentations.Gamma(0.8), Augmentations.GaussianNoise(0.05, 1));
        // Default options: the estimator chooses the passes (here one copy of 500 images, 1.5 MiB, per pass on a CPU).
        tta = new TestTimeAugmentationEstimator(members[0], policy, EnsembleScore.MutualInformation);
        ensemble = new DeepEnsembleEstimator(members, EnsembleScore.MutualInformation);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        batches.ForEach(b => b.Dispose());
        weights.ForEach(w => w.Dispose());
    }

    [BenchmarkCategory("TTA"), Benchmark(Baseline = true)]
    public void EightPlainForwardPasses()
    {
        foreach (var batch in batches)
        {
            for (var k = 0; k < 8; k++)
            {
                members[0].Forward(batch).Dispose();
            }
        }
    }

    [BenchmarkCategory("TTA"), Benchmark]
    public void TtaWithEightAugmentations()
    {
        foreach (var batch in batches)
        {
            tta.Estimate(batch).Dispose();
        }
    }

    [BenchmarkCategory("Ensemble"), Benchmark]
    public void FiveMembersPlainForwardPasses()
    {
        foreach (var batch in batches)
        {
            foreach (var member in members)
            {
                member.Forward(batch).Dispose();
            }
        }
    }

    [BenchmarkCategory("Ensemble"), Benchmark]
    public void DeepEnsembleOfFive()
    {
        foreach (var batch in batches)
        {
            ensemble.Estimate(batch).Dispose();
        }
    }
}
