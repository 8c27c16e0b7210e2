using System;
using System.Collections.Generic;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Evaluation;

/// <summary>
/// The cluster of each case (the patient of each slice, the volume of each lesion, the site of each patient), mapped from any
/// integer, number or string key to dense indices 0 … <see cref="Count"/> − 1 in order of first appearance.
/// </summary>
/// <remarks>
/// Cases of one cluster are not independent: wherever an interval, a test or a split is computed and cluster ids are given, the
/// cluster is the unit (Obuchowski's clustered AUROC in <see cref="ClusteredAuroc"/>, the cluster bootstrap in <see cref="Bootstrap"/>).
/// Immutable and thread-safe.
/// </remarks>
public sealed class ClusterIds
{
    private readonly int[] indices;
    private readonly string[] keys;
    private readonly int[] sizes;

    private ClusterIds(int[] indices, string[] keys)
    {
        this.indices = indices;
        this.keys = keys;
        sizes = new int[keys.Length];
        foreach (var i in indices)
        {
            sizes[i]++;
        }
    }

    /// <summary>Gets the number of cases.</summary>
    public int Cases => indices.Length;

    /// <summary>Gets the number of distinct clusters, at least 1.</summary>
    public int Count => keys.Length;

    /// <summary>Gets the dense cluster index of each case, in case order; each in [0, <see cref="Count"/>).</summary>
    public ReadOnlySpan<int> Indices => indices;

    /// <summary>Gets each cluster's key as text (invariant culture), indexed by dense cluster index.</summary>
    public IReadOnlyList<string> Keys => keys;

    /// <summary>Gets the number of cases in each cluster, indexed by dense cluster index.</summary>
    public IReadOnlyList<int> Sizes => sizes;

    /// <summary>Maps string keys (patient or site identifiers) to clusters; keys compare ordinally (case-sensitive).</summary>
    /// <param name="ids">One key per case; none may be <see langword="null"/>.</param>
    /// <returns>The cluster ids.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="ids"/> is empty or holds a <see langword="null"/> key.</exception>
    public static ClusterIds From(IReadOnlyList<string?> ids)
    {
        Preconditions.NotNull(ids, nameof(ids));
        NotEmpty(ids.Count);
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        var keys = new List<string>();
        var indices = new int[ids.Count];
        for (var i = 0; i < indices.Length; i++)
        {
            var key = ids[i] ?? throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"ids must hold a cluster key for every case; found null at index {i}."), nameof(ids));
            indices[i] = IndexOf(map, keys, key);
        }

        return new ClusterIds(indices, keys.ToArray());
    }

    /// <summary>Maps integer keys (patient numbers) to clusters.</summary>
    /// <param name="ids">One key per case.</param>
    /// <returns>The cluster ids.</returns>
    /// <exception cref="ArgumentException"><paramref name="ids"/> is empty.</exception>
    public static ClusterIds From(ReadOnlySpan<long> ids)
    {
        NotEmpty(ids.Length);
        var map = new Dictionary<long, int>();
        var keys = new List<long>();
        var indices = new int[ids.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            indices[i] = IndexOf(map, keys, ids[i]);
        }

        return new ClusterIds(indices, keys.ConvertAll(k => k.ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>Maps numeric keys (ids read from a floating-point column) to clusters; −0 and +0 are one key.</summary>
    /// <param name="ids">One finite key per case.</param>
    /// <returns>The cluster ids.</returns>
    /// <exception cref="ArgumentException"><paramref name="ids"/> is empty or holds NaN or ±∞.</exception>
    public static ClusterIds From(ReadOnlySpan<double> ids)
    {
        NotEmpty(ids.Length);
        Preconditions.Finite(ids, nameof(ids));
        var map = new Dictionary<double, int>();
        var keys = new List<double>();
        var indices = new int[ids.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            indices[i] = IndexOf(map, keys, ids[i] + 0.0);
        }

        return new ClusterIds(indices, keys.ConvertAll(k => k.ToString("R", CultureInfo.InvariantCulture)).ToArray());
    }

    /// <summary>Maps the keys held in a tensor <c>(N)</c> of integers or (finite) floating-point numbers to clusters.</summary>
    /// <param name="ids">Keys <c>(N)</c>, any integer or floating-point dtype, on any device.</param>
    /// <returns>The cluster ids.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="ids"/> is empty, not of rank 1, boolean, or holds NaN or ±∞.</exception>
    public static ClusterIds From(Tensor ids)
    {
        Preconditions.Tensor(ids, nameof(ids), 1, 1);
        using var scope = torch.NewDisposeScope();
        if (ids.is_floating_point())
        {
            Preconditions.Finite(ids, nameof(ids));
            return From(ids.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray());
        }

        if (ids.dtype == ScalarType.Bool || ids.is_complex())
        {
            throw new ArgumentException($"ids must hold integer or floating-point keys; found dtype {ids.dtype}.", nameof(ids));
        }

        return From(ids.to(ScalarType.Int64).cpu().contiguous().data<long>().ToArray());
    }

    /// <summary>
    /// Assigns each case a cross-validation fold such that no cluster is split between folds (a patient's slices all land in one fold),
    /// with folds of about equal numbers of cases: for cross-validated calibration or combiner fitting on clustered validation data,
    /// where a split through a cluster would leak it into its own fit.
    /// </summary>
    /// <remarks>
    /// The clusters are shuffled with the seed, ordered by size (largest first; the shuffle breaks ties) and each is given to the fold
    /// with the fewest cases so far (as scikit-learn's <c>GroupKFold</c>, seeded).
    /// </remarks>
    /// <param name="folds">The number of folds, in [2, <see cref="Count"/>].</param>
    /// <param name="seed">The seed of the shuffle; the same seed gives the same folds.</param>
    /// <returns>Each case's fold, in [0, <paramref name="folds"/>), in case order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="folds"/> is below 2 or above the number of clusters.</exception>
    public int[] AssignFolds(int folds, int seed)
    {
        if (folds < 2 || folds > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(folds), folds,
                string.Create(CultureInfo.InvariantCulture, $"folds must be in [2, {Count}] (the number of clusters); found {folds}."));
        }

        var order = new int[Count];
        for (var c = 0; c < order.Length; c++)
        {
            order[c] = c;
        }

        new Random(seed).Shuffle(order);
        var ranked = (int[])order.Clone();
        var keys = new long[Count];
        for (var k = 0; k < keys.Length; k++)
        {
            keys[k] = (-(long)sizes[order[k]] * Count) + k;
        }

        Array.Sort(keys, ranked);
        var load = new long[folds];
        var foldOf = new int[Count];
        foreach (var c in ranked)
        {
            var lightest = 0;
            for (var f = 1; f < folds; f++)
            {
                lightest = load[f] < load[lightest] ? f : lightest;
            }

            foldOf[c] = lightest;
            load[lightest] += sizes[c];
        }

        var result = new int[indices.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            result[i] = foldOf[indices[i]];
        }

        return result;
    }

    /// <summary>Checks that the ids hold one entry per case.</summary>
    internal void CheckLength(int cases, string name, string casesName)
    {
        if (Cases != cases)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} has {Cases} cases but {casesName} has {cases}; they must match."),
                name);
        }
    }

    /// <summary>Counts, per cluster, the failures and the successes.</summary>
    internal (int[] Failures, int[] Successes) Counts(ReadOnlySpan<bool> failures)
    {
        var f = new int[Count];
        var s = new int[Count];
        for (var i = 0; i < indices.Length; i++)
        {
            if (failures[i])
            {
                f[indices[i]]++;
            }
            else
            {
                s[indices[i]]++;
            }
        }

        return (f, s);
    }

    /// <summary>Summarises the clusters of validated cases.</summary>
    internal ClusterSummary Summary(ReadOnlySpan<bool> failures)
    {
        var (f, _) = Counts(failures);
        var withFailures = 0;
        foreach (var count in f)
        {
            withFailures += count > 0 ? 1 : 0;
        }

        var sorted = (int[])sizes.Clone();
        Array.Sort(sorted);
        var half = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2.0;
        return new ClusterSummary(Count, withFailures, sorted[0], median, sorted[^1]);
    }

    private static int IndexOf<TKey>(Dictionary<TKey, int> map, List<TKey> keys, TKey key)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var index))
        {
            index = keys.Count;
            map.Add(key, index);
            keys.Add(key);
        }

        return index;
    }

    private static void NotEmpty(int count)
    {
        if (count == 0)
        {
            throw new ArgumentException("ids is empty: there are no cases to assign to clusters.", "ids");
        }
    }
}
