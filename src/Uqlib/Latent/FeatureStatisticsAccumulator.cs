using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>Accumulates, batch by batch, the float64 sufficient statistics of labelled features that Gaussian fits need.</summary>
/// <remarks>
/// Per class it keeps the count, and the sums, cross-products and the two moments of the squared norm that Ledoit–Wolf shrinkage
/// needs, all of the features shifted by the mean of the class's first batch (the shifted-data algorithm, which avoids the
/// cancellation of raw sums); the same for all features together. Memory is O(C·F²) float64 values, independent of the
/// number of samples; streaming in batches gives the same statistics as one call with every sample, up to rounding.
/// Not thread-safe. Dispose it when done; <see cref="ToStatistics"/> returns an independent value.
/// </remarks>
public sealed class FeatureStatisticsAccumulator : IDisposable
{
    private readonly int classes;
    private readonly long[] counts;
    private readonly bool[] seen;
    private Tensor? shifts;      // (C, F)
    private Tensor? sums;        // (C, F): Σ y
    private Tensor? products;    // (C, F, F): Σ y yᵀ
    private Tensor? normSums;    // (C, F): Σ |y|² y
    private Tensor? fourth;      // (C): Σ |y|⁴
    private Tensor? totalShift;  // (F)
    private Tensor? totalSum;
    private Tensor? totalProduct;
    private Tensor? totalNormSum;
    private Tensor? totalFourth;
    private long dimension;
    private long count;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="FeatureStatisticsAccumulator"/> class.</summary>
    /// <param name="classes">The number of classes, from 1 to 100,000 (1 for unlabelled features).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is outside [1, 100,000].</exception>
    public FeatureStatisticsAccumulator(int classes)
    {
        this.classes = Preconditions.InRange(classes, nameof(classes), 1, Preconditions.MaxClasses);
        counts = new long[classes];
        seen = new bool[classes];
    }

    /// <summary>Gets the number of classes.</summary>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public int Classes
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return classes;
        }
    }

    /// <summary>Gets the feature dimension, or 0 before the first batch.</summary>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public long Dimension
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return dimension;
        }
    }

    /// <summary>Gets the number of samples added so far.</summary>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public long Count
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return count;
        }
    }

    /// <summary>Adds one batch of features.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite, floating point; not disposed.</param>
    /// <param name="labels">Class indices <c>(N)</c> in [0, <see cref="Classes"/> − 1], or <see langword="null"/> when <see cref="Classes"/> is 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>, or <paramref name="labels"/> is while there are several classes.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, hold NaN or infinite values, or differ in dimension from earlier batches; the labels differ in length or are out of range.</exception>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public void Add(Tensor features, Tensor? labels = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Preconditions.Tensor(features, nameof(features), 2, 2);
        Preconditions.Finite(features, nameof(features));
        if (Dimension != 0 && features.shape[1] != Dimension)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"features must have dimension {Dimension} like the earlier batches; found shape {Preconditions.ShapeText(features)}."),
                nameof(features));
        }

        if (labels is null && Classes > 1)
        {
            throw new ArgumentNullException(nameof(labels), $"labels are needed to accumulate {Classes} classes; found null.");
        }

        if (labels is not null)
        {
            Preconditions.Tensor(labels, nameof(labels), 1, 1);
            Preconditions.SameLength(features, nameof(features), labels, nameof(labels));
            Preconditions.Labels(labels, nameof(labels), Classes);
        }

        AddCore(features, labels);
    }

    /// <summary>Returns the statistics accumulated so far as an immutable value that owns its tensors.</summary>
    /// <returns>The statistics; the caller disposes them.</returns>
    /// <exception cref="InvalidOperationException">No sample has been added.</exception>
    /// <exception cref="ObjectDisposedException">The accumulator has been disposed.</exception>
    public FeatureStatistics ToStatistics()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Count == 0)
        {
            throw new InvalidOperationException("No features have been added: call Add with at least one batch before ToStatistics.");
        }

        using var scope = torch.NewDisposeScope();
        var n = torch.tensor(counts, dtype: ScalarType.Float64, device: sums!.device);
        var safe = n.clamp_min(1.0).unsqueeze(1);
        var offsets = sums.div(safe);                                    // m_c, (C, F)
        var means = shifts!.add(offsets);
        var outer = offsets.unsqueeze(2).mul(offsets.unsqueeze(1));      // m mᵀ, (C, F, F)
        var scatter = products!.sub(outer.mul(n.view(-1, 1, 1))).sum(new long[] { 0 });
        var withinFourth = CentredFourth(n, offsets, sums, products, normSums!, fourth!).sum();

        var total = (double)Count;
        var totalOffset = totalSum!.div(total);
        var totalMean = totalShift!.add(totalOffset);
        var totalScatter = totalProduct!.sub(totalOffset.outer(totalOffset).mul_(total));
        var totalFourthCentred = CentredFourth(
            torch.tensor(new[] { total }, dtype: ScalarType.Float64, device: sums.device), totalOffset.unsqueeze(0), totalSum.unsqueeze(0),
            totalProduct.unsqueeze(0), totalNormSum!.unsqueeze(0), totalFourth!.unsqueeze(0)).sum();

        return new FeatureStatistics(
            (long[])counts.Clone(),
            means.DetachFromDisposeScope(),
            Symmetrise(scatter).DetachFromDisposeScope(),
            withinFourth.ToDouble(),
            totalMean.DetachFromDisposeScope(),
            Symmetrise(totalScatter).DetachFromDisposeScope(),
            totalFourthCentred.ToDouble());
    }

    /// <summary>Disposes the running sums; later calls do nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var tensor in new[] { shifts, sums, products, normSums, fourth, totalShift, totalSum, totalProduct, totalNormSum, totalFourth })
        {
            tensor?.Dispose();
        }
    }

    /// <summary>Σ_i |y_i − m|⁴ per class from the shifted sums, expanding |y − m|² = |y|² − 2 y·m + |m|².</summary>
    private static Tensor CentredFourth(Tensor n, Tensor m, Tensor s1, Tensor s2, Tensor s3, Tensor s4)
    {
        var c = m.mul(m).sum(1);                                              // |m|²
        var mS3 = m.mul(s3).sum(1);                                           // mᵀ Σ|y|² y
        var mS2m = m.unsqueeze(1).bmm(s2).bmm(m.unsqueeze(2)).view(-1);       // mᵀ Σ y yᵀ m
        var trace = s2.diagonal(0, 1, 2).sum(1);                              // Σ |y|²
        var mS1 = m.mul(s1).sum(1);                                           // mᵀ Σ y
        return s4.sub(mS3.mul(4.0)).add_(mS2m.mul(4.0)).add_(c.mul(trace).mul_(2.0))
            .sub_(c.mul(mS1).mul_(4.0)).add_(n.mul(c).mul_(c)).clamp_min_(0.0);
    }

    private static Tensor Symmetrise(Tensor matrix)
    {
        return matrix.add(matrix.t()).mul_(0.5);
    }

    private void AddCore(Tensor features, Tensor? labels)
    {
        using var scope = torch.NewDisposeScope();
        var x = features.to(ScalarType.Float64);
        var f = x.shape[1];
        if (Dimension == 0)
        {
            dimension = f;
            var options = (dtype: ScalarType.Float64, device: x.device);
            shifts = torch.zeros(Classes, f, options.dtype, options.device).DetachFromDisposeScope();
            sums = torch.zeros(Classes, f, options.dtype, options.device).DetachFromDisposeScope();
            products = torch.zeros(new long[] { Classes, f, f }, options.dtype, options.device).DetachFromDisposeScope();
            normSums = torch.zeros(Classes, f, options.dtype, options.device).DetachFromDisposeScope();
            fourth = torch.zeros(Classes, options.dtype, options.device).DetachFromDisposeScope();
            totalShift = x.mean(new long[] { 0 }).DetachFromDisposeScope();
            totalSum = torch.zeros(f, options.dtype, options.device).DetachFromDisposeScope();
            totalProduct = torch.zeros(f, f, options.dtype, options.device).DetachFromDisposeScope();
            totalNormSum = torch.zeros(f, options.dtype, options.device).DetachFromDisposeScope();
            totalFourth = torch.tensor(0.0, options.dtype, options.device).DetachFromDisposeScope();
        }

        Accumulate(x.sub(totalShift!), totalSum!, totalProduct!, totalNormSum!, totalFourth!);

        if (labels is null)
        {
            AddClass(0, x);
        }
        else
        {
            var cpuLabels = labels.to(ScalarType.Int64).cpu();
            var present = cpuLabels.unique().Item1;
            var classList = present.data<long>().ToArray();
            var deviceLabels = labels.to(ScalarType.Int64).to(x.device);
            foreach (var c in classList)
            {
                using var inner = torch.NewDisposeScope();
                var rows = x.index_select(0, deviceLabels.eq(c).nonzero().view(-1));
                AddClass((int)c, rows);
            }
        }

        count += x.shape[0];
    }

    private void AddClass(int c, Tensor rows)
    {
        if (!seen[c])
        {
            seen[c] = true;
            shifts![c].copy_(rows.mean(new long[] { 0 }));
        }

        Accumulate(rows.sub(shifts![c]), sums![c], products![c], normSums![c], fourth![c]);
        counts[c] += rows.shape[0];
    }

    private static void Accumulate(Tensor y, Tensor sum, Tensor product, Tensor normSum, Tensor fourthSum)
    {
        using var scope = torch.NewDisposeScope();
        sum.add_(y.sum(new long[] { 0 }));
        product.addmm_(y.t(), y);
        var squared = y.mul(y).sum(new long[] { 1 });
        normSum.add_(squared.matmul(y));
        fourthSum.add_(squared.dot(squared));
    }
}
