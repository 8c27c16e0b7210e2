using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Conformal;

/// <summary>Keeps one calibration score per cluster (per cluster and class when class-conditional), by <see cref="ClusterCalibration"/>.</summary>
internal static class ClusterReduction
{
    /// <summary>Reduces per-case scores, draws and labels to one entry per group, in the order groups first appear.</summary>
    public static (double[] Scores, double[] Uniforms, int[] Labels) Reduce(
        double[] scores, double[] uniforms, int[] labels, long[] clusters, ConformalSetOptions options)
    {
        double[]? keys = null;
        if (options.ClusterCalibration == ClusterCalibration.RandomCase)
        {
            using var generator = new torch.Generator(unchecked((ulong)(options.Seed + 2)));
            using var draws = torch.rand(new long[] { scores.Length }, ScalarType.Float64, generator: generator);
            keys = draws.data<double>().ToArray();
        }

        var chosen = new Dictionary<(long Cluster, int Label), int>();
        var order = new List<(long Cluster, int Label)>();
        for (var i = 0; i < scores.Length; i++)
        {
            var group = (clusters[i], options.ClassConditional ? labels[i] : 0);
            if (!chosen.TryGetValue(group, out var kept))
            {
                chosen[group] = i;
                order.Add(group);
                continue;
            }

            var replace = keys is not null
                ? keys[i] < keys[kept]
                : scores[i] > scores[kept] || (scores[i] == scores[kept] && uniforms[i] > uniforms[kept]);
            if (replace)
            {
                chosen[group] = i;
            }
        }

        var s = new double[order.Count];
        var u = new double[order.Count];
        var l = new int[order.Count];
        for (var g = 0; g < order.Count; g++)
        {
            var i = chosen[order[g]];
            s[g] = scores[i];
            u[g] = uniforms[i];
            l[g] = labels[i];
        }

        return (s, u, l);
    }
}
