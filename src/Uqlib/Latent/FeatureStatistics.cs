using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The float64 sufficient statistics of a set of labelled features: class counts and means, the pooled within-class scatter and the total scatter, with the fourth moments Ledoit–Wolf shrinkage needs. Immutable; owns its tensors.</summary>
/// <remarks>Made by <see cref="FeatureStatisticsAccumulator"/> or <see cref="Compute"/>. Thread-safe for reading.</remarks>
public sealed class FeatureStatistics : IDisposable
{
    private readonly long[] counts;

    internal FeatureStatistics(long[] counts, Tensor means, Tensor withinScatter, double withinFourth, Tensor mean, Tensor totalScatter, double totalFourth)
    {
        this.counts = counts;
        ClassMeans = means;
        WithinScatter = withinScatter;
        WithinFourthMoment = withinFourth;
        Mean = mean;
        TotalScatter = totalScatter;
        TotalFourthMoment = totalFourth;
        var total = 0L;
        foreach (var c in counts)
        {
            total += c;
        }

        Count = total;
    }

    /// <summary>Gets the number of samples.</summary>
    public long Count { get; }

    /// <summary>Gets the number of classes.</summary>
    public int Classes => counts.Length;

    /// <summary>Gets the feature dimension F.</summary>
    public long Dimension => Mean.shape[0];

    /// <summary>Gets the number of samples of each class.</summary>
    public ReadOnlySpan<long> ClassCounts => counts;

    /// <summary>Gets the class means <c>(C, F)</c>, float64 (zero for a class without samples).</summary>
    public Tensor ClassMeans { get; }

    /// <summary>Gets the pooled within-class scatter Σ_i (x_i − μ_{y_i})(x_i − μ_{y_i})ᵀ, <c>(F, F)</c>, float64.</summary>
    public Tensor WithinScatter { get; }

    /// <summary>Gets Σ_i |x_i − μ_{y_i}|⁴, the fourth moment of the class-centred features.</summary>
    public double WithinFourthMoment { get; }

    /// <summary>Gets the mean of all features <c>(F)</c>, float64.</summary>
    public Tensor Mean { get; }

    /// <summary>Gets the total scatter Σ_i (x_i − μ)(x_i − μ)ᵀ, <c>(F, F)</c>, float64.</summary>
    public Tensor TotalScatter { get; }

    /// <summary>Gets Σ_i |x_i − μ|⁴, the fourth moment of the centred features.</summary>
    public double TotalFourthMoment { get; }

    /// <summary>Computes the statistics of one set of features in one call.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="labels">Class indices <c>(N)</c>, or <see langword="null"/> for one class.</param>
    /// <param name="classes">The number of classes, from 1 to 100,000; 1 when <paramref name="labels"/> is <see langword="null"/>.</param>
    /// <returns>The statistics; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>, or <paramref name="labels"/> is while there are several classes.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, or not finite; the labels differ in length or are out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is outside [1, 100,000].</exception>
    public static FeatureStatistics Compute(Tensor features, Tensor? labels, int classes)
    {
        using var accumulator = new FeatureStatisticsAccumulator(classes);
        accumulator.Add(features, labels);
        return accumulator.ToStatistics();
    }

    /// <summary>Checks that every class has at least one sample, naming the first that has none.</summary>
    internal void RequireEveryClass()
    {
        for (var c = 0; c < counts.Length; c++)
        {
            if (counts[c] == 0)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"Class {c} has no training samples; every one of the {counts.Length} classes needs at least one to have a mean."),
                    "statistics");
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ClassMeans.Dispose();
        WithinScatter.Dispose();
        Mean.Dispose();
        TotalScatter.Dispose();
    }
}
