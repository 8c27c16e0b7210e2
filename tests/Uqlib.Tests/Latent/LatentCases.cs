using System;
using System.Linq;
using System.Text.Json;
using TorchSharp;
using Uqlib.Tests.TestSupport;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

/// <summary>The golden cases of Reference/latent.json (make_latent.py: scikit-learn and SciPy).</summary>
internal static class LatentCases
{
    private static readonly JsonElement Reference = Golden.Load("latent.json");

    public static JsonElement Case(int index) => Reference.GetProperty("cases")[index];

    public static Tensor Features(JsonElement golden) => Golden.MatrixTensor(golden.GetProperty("features"));

    public static Tensor Queries(JsonElement golden) => Golden.MatrixTensor(golden.GetProperty("queries"));

    public static Tensor Labels(JsonElement golden) =>
        torch.tensor(golden.GetProperty("labels").EnumerateArray().Select(e => e.GetInt64()).ToArray());

    public static int Classes(JsonElement golden) => golden.GetProperty("means").GetArrayLength();

    public static bool CloseRelative(double actual, double expected, double tolerance) =>
        Math.Abs(actual - expected) <= tolerance * Math.Max(1.0, Math.Abs(expected));

    /// <summary>AUROC of scores separating positives (true) from negatives, ties counted half, by pair counting.</summary>
    public static double Auroc(double[] negatives, double[] positives)
    {
        double wins = 0;
        foreach (var p in positives)
        {
            foreach (var n in negatives)
            {
                wins += p > n ? 1.0 : p == n ? 0.5 : 0.0;
            }
        }

        return wins / (positives.Length * (double)negatives.Length);
    }

    /// <summary>Two Gaussian classes in distribution, features (N, F) float32, labels (N); deterministic.</summary>
    public static (Tensor Features, Tensor Labels) TwoClasses(int n, int f, long seed, double shift = 0.0)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var labels = torch.arange(n, dtype: ScalarType.Int64).remainder(2);
        var centres = torch.zeros(2, f);
        centres[0, 0] = torch.tensor(10.0f);
        centres[1, 1] = torch.tensor(10.0f);
        var features = torch.randn(new long[] { n, f }, generator: generator).add_(centres.index_select(0, labels)).add_(shift);
        return (features.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }
}

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
