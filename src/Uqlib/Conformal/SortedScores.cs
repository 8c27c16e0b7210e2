using System;

namespace Uqlib.Conformal;

/// <summary>Calibration scores sorted once, with their uniform draws as tie-breakers: the fitted state from which any level α is read.</summary>
internal sealed class SortedScores
{
    private readonly double[] scores;
    private readonly double[] uniforms;

    private SortedScores(double[] scores, double[] uniforms)
    {
        this.scores = scores;
        this.uniforms = uniforms;
    }

    /// <summary>Gets the number n of scores.</summary>
    public int Count => scores.Length;

    /// <summary>Sorts scores with their draws, ranking the pairs (score, u) lexicographically.</summary>
    public static SortedScores Of(ReadOnlySpan<double> scores, ReadOnlySpan<double> uniforms)
    {
        var s = scores.ToArray();
        var u = uniforms.ToArray();
        var order = new int[s.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        System.Array.Sort(order, (a, b) =>
        {
            var byScore = s[a].CompareTo(s[b]);
            return byScore != 0 ? byScore : u[a].CompareTo(u[b]);
        });
        var sortedScores = new double[s.Length];
        var sortedUniforms = new double[s.Length];
        for (var i = 0; i < order.Length; i++)
        {
            sortedScores[i] = s[order[i]];
            sortedUniforms[i] = u[order[i]];
        }

        return new SortedScores(sortedScores, sortedUniforms);
    }

    /// <summary>The scores of each class, sorted.</summary>
    public static SortedScores[] PerClass(double[] scores, double[] uniforms, int[] labels, int classes)
    {
        var result = new SortedScores[classes];
        for (var c = 0; c < classes; c++)
        {
            var count = 0;
            foreach (var label in labels)
            {
                count += label == c ? 1 : 0;
            }

            var s = new double[count];
            var u = new double[count];
            var j = 0;
            for (var i = 0; i < labels.Length; i++)
            {
                if (labels[i] == c)
                {
                    s[j] = scores[i];
                    u[j] = uniforms[i];
                    j++;
                }
            }

            result[c] = Of(s, u);
        }

        return result;
    }

    /// <summary>The k-th smallest pair, k = ⌈(n + 1)(1 − α)⌉; an α outside (0, 1) or below 1/(n + 1) is an error naming <paramref name="what"/>.</summary>
    public (double Score, double Uniform) Quantile(double alpha, string what)
    {
        var k = ConformalQuantile.CheckedRank(scores.Length, alpha, nameof(alpha), what);
        return (scores[k - 1], uniforms[k - 1]);
    }
}
