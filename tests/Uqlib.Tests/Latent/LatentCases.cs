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

    /// <summary>Gets the ranks and versions of Reference/dead_units.json (make_dead_units.py: a ReLU layer of 64 units, 20 dead).</summary>
    public static JsonElement DeadUnits { get; } = Golden.Load("dead_units.json");

    /// <summary>Reads one array of Reference/dead_units.npz; the caller disposes it.</summary>
    public static Tensor DeadUnitsArray(string name) => Uqlib.Interop.Npz.Read(Golden.PathOf("dead_units.npz"), name);

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
