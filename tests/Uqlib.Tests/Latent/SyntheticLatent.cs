using System;
using TorchSharp;
using Uqlib.Tests.TestSupport;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

/// <summary>A synthetic model and data for the estimator tests: the inputs are the features; logits are the first two features.</summary>
internal static class SyntheticLatent
{
    public const int Dimension = 8;

    public static IModel Model() => new Uqlib.Models.DelegateModel(x => (x.narrow(1, 0, 2).clone(), x.clone()), OutputKind.MulticlassLogits);

    public static IModel ModelWithoutFeatures() => new Uqlib.Models.DelegateModel(x => x.narrow(1, 0, 2).clone(), OutputKind.MulticlassLogits);

    /// <summary>Training batches of two Gaussian classes; the caller disposes the tensors.</summary>
    public static Batch[] Training(int batches, int size, long seed)
    {
        var result = new Batch[batches];
        for (var i = 0; i < batches; i++)
        {
            var (x, y) = LatentCases.TwoClasses(size, Dimension, seed + i);
            result[i] = new Batch(x, y);
        }

        return result;
    }

    /// <summary>An out-of-distribution cluster centred at (12, −12, 0, …), off the line through the class means (10, 0, …) and (0, 10, …).</summary>
    /// <remarks>
    /// Along the direction of (1, 1, 0, …) or any axis beyond the second, the background Gaussian is as wide as the classes, so the
    /// relative Mahalanobis score stays bounded there (Ren et al. 2021 subtract exactly those directions); (12, −12) is far along the
    /// direction in which the classes are tighter than the background.
    /// </remarks>
    public static Tensor OutOfDistribution(int n, long seed)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var x = torch.randn(new long[] { n, Dimension }, generator: generator);
        x.narrow(1, 0, 1).add_(12.0);
        x.narrow(1, 1, 1).sub_(12.0);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>An out-of-distribution cluster off the class subspace: hold-out-like samples shifted by 4 along every axis beyond the second.</summary>
    public static Tensor OffSubspace(int n, long seed)
    {
        var (x, labels) = LatentCases.TwoClasses(n, Dimension, seed);
        labels.Dispose();
        x.narrow(1, 2, Dimension - 2).add_(4.0);
        return x;
    }

    public static void Dispose(Batch[] batches)
    {
        foreach (var batch in batches)
        {
            batch.Inputs.Dispose();
            batch.Labels?.Dispose();
        }
    }

    /// <summary>Fits the estimator on 5 × 200 training samples and returns (AUROC OOD vs hold-out, AUROC hold-out vs second hold-out).</summary>
    public static (double OutOfDistribution, double InDistribution) Evaluate(IUncertaintyEstimator estimator, Func<int, long, Tensor>? outOfDistribution = null)
    {
        outOfDistribution ??= OutOfDistribution;
        var training = Training(5, 200, 100);
        try
        {
            estimator.Fit(new FitData { Training = training });
            var (holdOut, _) = LatentCases.TwoClasses(400, Dimension, 900);
            var (secondHoldOut, _) = LatentCases.TwoClasses(400, Dimension, 901);
            using var ood = outOfDistribution(400, 902);
            using (holdOut)
            using (secondHoldOut)
            using (var a = estimator.Estimate(holdOut))
            using (var b = estimator.Estimate(secondHoldOut))
            using (var c = estimator.Estimate(ood))
            {
                var idScores = Golden.ToArray(a.Scores);
                return (LatentCases.Auroc(idScores, Golden.ToArray(c.Scores)), LatentCases.Auroc(idScores, Golden.ToArray(b.Scores)));
            }
        }
        finally
        {
            Dispose(training);
        }
    }
}
