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
    private readonly Tensor classMeans;
    private readonly Tensor withinScatter;
    private readonly double withinFourthMoment;
    private readonly Tensor mean;
    private readonly Tensor totalScatter;
    private readonly double totalFourthMoment;
    private readonly long count;
    private bool disposed;

    internal FeatureStatistics(long[] counts, Tensor means, Tensor withinScatter, double withinFourth, Tensor mean, Tensor totalScatter, double totalFourth)
    {
        this.counts = counts;
        classMeans = means;
        this.withinScatter = withinScatter;
        withinFourthMoment = withinFourth;
        this.mean = mean;
        this.totalScatter = totalScatter;
        totalFourthMoment = totalFourth;
        var total = 0L;
        foreach (var c in counts)
        {
            total += c;
        }

        count = total;
    }

    /// <summary>Gets the number of samples.</summary>
    /// <exception cref="ObjectDisposedException">The statistics has been disposed.</exception>
    public long Count
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return count;
        }
    }

    /// <summary>Gets the number of classes.</summary>
    /// <exception cref="ObjectDisposedException">The statistics has been disposed.</exception>
    public int Classes
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return counts.Length;
        }
    }

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The statistics has been disposed.</exception>
    public long Dimension
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return mean.shape[0];
        }
    }

    /// <summary>Gets the number of samples of each class.</summary>
    /// <exception cref="ObjectDisposedException">The statistics has been disposed.</exception>
    public ReadOnlySpan<long> ClassCounts
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return counts;
        }
    }

    /// <summary>Gets a copy of the class means <c>(C, F)</c>, float64 (zero for a class without samples); the caller disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The statistics has been disposed.</exception>
    public Tensor ClassMeans
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return classMeans.clone();
        }
    }

    /// <summary>The statistics' own tensor behind <see cref="ClassMeans"/>, for the library's fits: read, never disposed or changed.</summary>
    internal Tensor ClassMeansView => classMeans;

    /// <summary>Gets a copy of the pooled within-class scatter Σ_i (x_i − μ_{y_i})(x_i − μ_{y_i})ᵀ, <c>(F, F)</c>, float64; the caller disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The statistics has been disposed.</exception>
    public Tensor WithinScatter
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return withinScatter.clone();
        }
    }

    /// <summary>The statistics' own tensor behind <see cref="WithinScatter"/>, for the library's fits: read, never disposed or changed.</summary>
    internal Tensor WithinScatterView => withinScatter;

    /// <summary>Gets Σ_i |x_i − μ_{y_i}|⁴, the fourth moment of the class-centred features.</summary>
    /// <exception cref="ObjectDisposedException">The statistics has been disposed.</exception>
    public double WithinFourthMoment
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return withinFourthMoment;
        }
    }

    /// <summary>Gets a copy of the mean of all features <c>(F)</c>, float64; the caller disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The statistics has been disposed.</exception>
    public Tensor Mean
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return mean.clone();
        }
    }

    /// <summary>The statistics' own tensor behind <see cref="Mean"/>, for the library's fits: read, never disposed or changed.</summary>
    internal Tensor MeanView => mean;

    /// <summary>Gets a copy of the total scatter Σ_i (x_i − μ)(x_i − μ)ᵀ, <c>(F, F)</c>, float64; the caller disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The statistics has been disposed.</exception>
    public Tensor TotalScatter
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return totalScatter.clone();
        }
    }

    /// <summary>The statistics' own tensor behind <see cref="TotalScatter"/>, for the library's fits: read, never disposed or changed.</summary>
    internal Tensor TotalScatterView => totalScatter;

    /// <summary>Gets Σ_i |x_i − μ|⁴, the fourth moment of the centred features.</summary>
    /// <exception cref="ObjectDisposedException">The statistics has been disposed.</exception>
    public double TotalFourthMoment
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return totalFourthMoment;
        }
    }

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

    /// <summary>Disposes the tensors; later calls do nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        classMeans.Dispose();
        withinScatter.Dispose();
        mean.Dispose();
        totalScatter.Dispose();
    }
}
