using System;
using System.Globalization;

namespace Uqlib.Evaluation;

/// <summary>How the scores of one cluster's cases become one score for the cluster (the patient's score from its slices' scores).</summary>
/// <remarks>Used by <see cref="ClusterAggregation.Scores(ReadOnlySpan{double}, ClusterIds, ScoreAggregation)"/>. Immutable.</remarks>
public sealed class ScoreAggregation
{
    private ScoreAggregation(Kind kind, double parameter, string name)
    {
        Method = kind;
        Parameter = parameter;
        Name = name;
    }

    internal enum Kind
    {
        Max,
        Mean,
        Quantile,
        TopKMean,
    }

    /// <summary>Gets the highest score of the cluster: the patient is as suspect as its most suspect slice.</summary>
    public static ScoreAggregation Max { get; } = new(Kind.Max, 0, "max");

    /// <summary>Gets the mean score of the cluster.</summary>
    public static ScoreAggregation Mean { get; } = new(Kind.Mean, 0, "mean");

    /// <summary>Gets a short name, e.g. <c>max</c>, <c>q0.9</c>, <c>top3</c>.</summary>
    public string Name { get; }

    internal Kind Method { get; }

    internal double Parameter { get; }

    /// <summary>The <paramref name="q"/>-quantile of the cluster's scores, linearly interpolated as NumPy's default <c>quantile</c>.</summary>
    /// <param name="q">The quantile, in [0, 1] (0 is the minimum, 0.5 the median, 1 the maximum).</param>
    /// <returns>The aggregation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="q"/> is NaN or outside [0, 1].</exception>
    public static ScoreAggregation Quantile(double q)
    {
        Preconditions.InRange(q, nameof(q), 0, 1);
        return new ScoreAggregation(Kind.Quantile, q, "q" + q.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The mean of the cluster's <paramref name="k"/> highest scores (of all its scores when it has fewer cases).</summary>
    /// <param name="k">The number of top scores averaged, at least 1.</param>
    /// <returns>The aggregation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public static ScoreAggregation TopKMean(int k)
    {
        Preconditions.AtLeast(k, nameof(k), 1);
        return new ScoreAggregation(Kind.TopKMean, k, "top" + k.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Returns <see cref="Name"/>.</summary>
    /// <returns>The name.</returns>
    public override string ToString() => Name;
}
