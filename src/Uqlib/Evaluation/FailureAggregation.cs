using System;
using System.Globalization;

namespace Uqlib.Evaluation;

/// <summary>How the failure labels of one cluster's cases become one label for the cluster (did the model fail this patient?).</summary>
/// <remarks>Used by <see cref="ClusterAggregation.Failures(ReadOnlySpan{bool}, ClusterIds, FailureAggregation)"/>. Immutable.</remarks>
public sealed class FailureAggregation
{
    private FailureAggregation(double threshold, string name)
    {
        Threshold = threshold;
        Name = name;
    }

    /// <summary>Gets the rule "any case of the cluster failed" (a patient with one misread slice counts as a failure).</summary>
    public static FailureAggregation Any { get; } = new(0, "any");

    /// <summary>Gets the rule "more than half the cluster's cases failed" (a tie is no failure).</summary>
    public static FailureAggregation Majority { get; } = new(0.5, "majority");

    /// <summary>Gets a short name, e.g. <c>any</c>, <c>majority</c>, <c>fraction&gt;0.25</c>.</summary>
    public string Name { get; }

    /// <summary>Gets the fraction of failed cases the cluster must exceed to count as a failure.</summary>
    internal double Threshold { get; }

    /// <summary>The rule "more than <paramref name="threshold"/> of the cluster's cases failed".</summary>
    /// <param name="threshold">The fraction to exceed, in [0, 1) (0 is <see cref="Any"/>, 0.5 is <see cref="Majority"/>).</param>
    /// <returns>The aggregation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is NaN or outside [0, 1).</exception>
    public static FailureAggregation FractionAbove(double threshold)
    {
        if (!(threshold >= 0 && threshold < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold,
                string.Create(CultureInfo.InvariantCulture, $"threshold must be in [0, 1); found {threshold}."));
        }

        return new FailureAggregation(threshold, "fraction>" + threshold.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Returns <see cref="Name"/>.</summary>
    /// <returns>The name.</returns>
    public override string ToString() => Name;
}
