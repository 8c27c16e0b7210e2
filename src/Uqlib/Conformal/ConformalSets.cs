using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Conformal;

/// <summary>Prediction sets of N cases over C classes at one level α, with the evaluation of their coverage and size.</summary>
/// <remarks>
/// Owns its tensors: dispose it when done; use after <see cref="Dispose"/> throws <see cref="ObjectDisposedException"/>. The evaluation
/// follows Angelopoulos &amp; Bates 2021 ("A gentle introduction to conformal prediction", section 3): marginal coverage, mean set size,
/// class-conditional coverage and size-stratified coverage (coverage within each set size, whose minimum should stay near 1 − α for an
/// adaptive method). For two classes, a set of size 2 means "both": refer the case (<see cref="Referrals"/>). Not thread-safe to dispose while in use.
/// </remarks>
public sealed class ConformalSets : IDisposable
{
    private readonly Tensor sets;
    private readonly Tensor sizes;
    private bool disposed;

    private readonly double alpha;

    internal ConformalSets(Tensor sets, Tensor sizes, double alpha)
    {
        this.sets = sets;
        this.sizes = sizes;
        this.alpha = alpha;
    }

    /// <summary>Gets the miscoverage level α the sets were made for.</summary>
    /// <exception cref="ObjectDisposedException">The sets have been disposed.</exception>
    public double Alpha
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return alpha;
        }
    }

    /// <summary>Gets the sets as a boolean tensor <c>(N, C)</c>: element (i, c) is <see langword="true"/> when class c is in case i's set.</summary>
    /// <exception cref="ObjectDisposedException">The sets have been disposed.</exception>
    public Tensor Sets => Live(sets);

    /// <summary>Gets the set sizes <c>(N)</c>, int64, in [0, C] (never 0 unless <see cref="ConformalSetOptions.AllowEmptySets"/>).</summary>
    /// <exception cref="ObjectDisposedException">The sets have been disposed.</exception>
    public Tensor Sizes => Live(sizes);

    /// <summary>Gets the number of cases N.</summary>
    /// <exception cref="ObjectDisposedException">The sets have been disposed.</exception>
    public long Count => Live(sets).shape[0];

    /// <summary>Whether each case's true class is in its set.</summary>
    /// <param name="labels">The true classes <c>(N)</c>, integers in [0, C). Not disposed.</param>
    /// <returns>A new boolean tensor <c>(N)</c>; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="labels"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The labels are not <c>(N)</c> integers in [0, C).</exception>
    /// <exception cref="ObjectDisposedException">The sets have been disposed.</exception>
    public Tensor Covered(Tensor labels)
    {
        CheckLabels(labels, nameof(labels));
        using var scope = torch.NewDisposeScope();
        return sets.gather(1, labels.to(ScalarType.Int64, sets.device).unsqueeze(1)).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>The marginal coverage: the share of cases whose true class is in their set.</summary>
    /// <param name="labels">The true classes <c>(N)</c>, integers in [0, C). Not disposed.</param>
    /// <returns>The coverage, in [0, 1].</returns>
    /// <exception cref="ArgumentNullException"><paramref name="labels"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The labels are not <c>(N)</c> integers in [0, C).</exception>
    /// <exception cref="ObjectDisposedException">The sets have been disposed.</exception>
    public double Coverage(Tensor labels)
    {
        using var covered = Covered(labels);
        using var scope = torch.NewDisposeScope();
        return covered.to(ScalarType.Float64).mean().ToDouble();
    }

    /// <summary>The mean set size.</summary>
    /// <returns>The mean number of classes per set, in [0, C].</returns>
    /// <exception cref="ObjectDisposedException">The sets have been disposed.</exception>
    public double MeanSize()
    {
        using var scope = torch.NewDisposeScope();
        return Live(sizes).to(ScalarType.Float64).mean().ToDouble();
    }

    /// <summary>Which cases to refer: those whose set does not name exactly one class (for two classes, the "both" sets, and empty ones when allowed).</summary>
    /// <returns>A new boolean tensor <c>(N)</c>; the caller disposes it.</returns>
    /// <exception cref="ObjectDisposedException">The sets have been disposed.</exception>
    public Tensor Referrals()
    {
        return Live(sizes).ne(1);
    }

    /// <summary>The coverage within each true class present among the labels (class-conditional coverage).</summary>
    /// <param name="labels">The true classes <c>(N)</c>, integers in [0, C). Not disposed.</param>
    /// <returns>One stratum per class present, by increasing class index.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="labels"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The labels are not <c>(N)</c> integers in [0, C).</exception>
    /// <exception cref="ObjectDisposedException">The sets have been disposed.</exception>
    public IReadOnlyList<CoverageStratum> ClassConditionalCoverage(Tensor labels)
    {
        using var covered = Covered(labels);
        return Strata(labels, covered, sets.shape[1]);
    }

    /// <summary>The coverage within each set size present (size-stratified coverage, Angelopoulos et al. 2021).</summary>
    /// <param name="labels">The true classes <c>(N)</c>, integers in [0, C). Not disposed.</param>
    /// <returns>One stratum per set size present, by increasing size.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="labels"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The labels are not <c>(N)</c> integers in [0, C).</exception>
    /// <exception cref="ObjectDisposedException">The sets have been disposed.</exception>
    public IReadOnlyList<CoverageStratum> SizeStratifiedCoverage(Tensor labels)
    {
        using var covered = Covered(labels);
        return Strata(sizes, covered, sets.shape[1] + 1);
    }

    /// <summary>The coverage seen per cluster: the mean of each cluster's covered share, and the share of clusters covered entirely.</summary>
    /// <param name="labels">The true classes <c>(N)</c>, integers in [0, C). Not disposed.</param>
    /// <param name="clusters">Integer cluster ids <c>(N)</c>, e.g. patients. Not disposed.</param>
    /// <returns>The per-cluster coverage.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The labels are not <c>(N)</c> integers in [0, C), or the clusters are not <c>(N)</c> integers.</exception>
    /// <exception cref="ObjectDisposedException">The sets have been disposed.</exception>
    public ClusterCoverage ClusterCoverage(Tensor labels, Tensor clusters)
    {
        using var covered = Covered(labels);
        Preconditions.Tensor(clusters, nameof(clusters), 1, 1);
        Preconditions.SameLength(sets, "sets", clusters, nameof(clusters));
        if (clusters.is_floating_point() || clusters.dtype == ScalarType.Bool)
        {
            throw new ArgumentException($"clusters must hold integer ids; found dtype {clusters.dtype}.", nameof(clusters));
        }

        using var scope = torch.NewDisposeScope();
        var (ids, inverse, _) = torch.unique(clusters.cpu().to(ScalarType.Int64), return_inverse: true);
        var groups = ids.shape[0];
        var hits = inverse!.bincount(covered.cpu().to(ScalarType.Float64), groups);
        var counts = inverse.bincount(null, groups);
        var share = hits.div(counts);
        return new ClusterCoverage(groups, share.mean().ToDouble(), share.eq(1.0).to(ScalarType.Float64).mean().ToDouble());
    }

    /// <summary>Disposes the set and size tensors.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        sets.Dispose();
        sizes.Dispose();
    }

    private static IReadOnlyList<CoverageStratum> Strata(Tensor keys, Tensor covered, long bins)
    {
        using var scope = torch.NewDisposeScope();
        var k = keys.to(ScalarType.Int64).cpu();
        var count = k.bincount(null, bins).data<long>().ToArray();
        var hits = k.bincount(covered.cpu().to(ScalarType.Float64), bins).data<double>().ToArray();
        var result = new List<CoverageStratum>();
        for (var v = 0; v < count.Length; v++)
        {
            if (count[v] > 0)
            {
                result.Add(new CoverageStratum(v, count[v], hits[v] / count[v]));
            }
        }

        return result;
    }

    private void CheckLabels(Tensor labels, string name)
    {
        Live(sets);
        Preconditions.Tensor(labels, name, 1, 1);
        Preconditions.SameLength(sets, "sets", labels, name);
        Preconditions.Labels(labels, name, sets.shape[1]);
    }

    private Tensor Live(Tensor value)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return value;
    }
}
