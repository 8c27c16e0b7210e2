using System;
using System.Collections.Generic;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Ensembles;

/// <summary>Variability across sub-ensembles: how much an ensemble's mean prediction, or one of its measures, changes when only a subset of its members is used.</summary>
/// <remarks>
/// <para>
/// Given M members' probabilities p_m <c>(M, N, C[, …])</c> and S subsets s of m distinct members each, the sub-ensemble mean is
/// p̄_s = (1/m) Σ_{m∈s} p_m. <see cref="PredictionVariance(Tensor, SubEnsembleOptions?)"/> is the variance over the S subsets of
/// p̄_s[c*], the sub-ensemble's probability of the class c* that the full ensemble predicts (argmax of its mean, lowest class on ties);
/// <see cref="ScoreVariance(EnsembleScore, Tensor, SubEnsembleOptions?)"/> is the variance over the subsets of an
/// <see cref="EnsembleScore"/> computed on each subset alone. Both are population variances (divided by S), float64, higher = more uncertain:
/// a prediction that depends on which members happen to be in the ensemble is less reliable. With m = M every subset is the whole ensemble and both are 0.
/// </para>
/// <para>
/// The idea is the seed's "sub-ensembles": the variability of an ensemble's results over its parts (for example the fold models of a
/// cross-validation); it is related to the sub-ensemble view of Valdenegro-Toro 2019, "Deep sub-ensembles for fast uncertainty estimation
/// in image classification", and to the bootstrap of ensemble members. Subsets are drawn by <see cref="DrawSubsets"/>: when the ensemble has
/// at most <see cref="SubEnsembleOptions.Subsets"/> distinct subsets of size m, every one is used once (in lexicographic order); otherwise
/// each subset is drawn independently and uniformly (a seeded <see cref="Random"/> shuffle, the first m members), so a subset may repeat.
/// Each subset is accumulated with the ensemble accumulator (the members' running sums), one subset at a time, and the variance over the
/// subsets is updated with Welford's recurrence; memory stays at a few tensors of one member's size. Inputs are checked and never disposed; thread-safe.
/// </para>
/// </remarks>
public static class SubEnsembles
{
    /// <summary>The subsets used for an ensemble of <paramref name="members"/> members under <paramref name="options"/>.</summary>
    /// <param name="members">The ensemble size M, 2 to 100,000.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="SubEnsembleOptions.Default"/>.</param>
    /// <returns>S subsets, each the sorted indices of m distinct members.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="members"/> is out of range.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or the subset size exceeds <paramref name="members"/>.</exception>
    public static IReadOnlyList<int[]> DrawSubsets(int members, SubEnsembleOptions? options = null)
    {
        Preconditions.InRange(members, nameof(members), 2, Preconditions.MaxCount);
        options ??= SubEnsembleOptions.Default;
        options.Validate();
        var size = options.SizeFor(members);
        if (Binomial(members, size) <= options.Subsets)
        {
            return AllSubsets(members, size);
        }

        var random = new Random(options.Seed);
        var order = new int[members];
        var subsets = new int[options.Subsets][];
        for (var s = 0; s < subsets.Length; s++)
        {
            for (var i = 0; i < members; i++)
            {
                order[i] = i;
            }

            random.Shuffle(order);
            var subset = order.AsSpan(0, size).ToArray();
            Array.Sort(subset);
            subsets[s] = subset;
        }

        return subsets;
    }

    /// <summary>The variance over sub-ensembles of their mean probability of the class the full ensemble predicts, with subsets drawn by <see cref="DrawSubsets"/>.</summary>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2, summing to 1 over dimension 2; not disposed.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="SubEnsembleOptions.Default"/>.</param>
    /// <returns>Variances in [0, 0.25], float64, shape <c>(N[, …])</c>; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 3, fewer than 2 members, no samples, or holds NaN, infinite or out-of-range values; an option is out of range.</exception>
    public static Tensor PredictionVariance(Tensor probabilities, SubEnsembleOptions? options = null)
    {
        Check(probabilities);
        return PredictionVarianceCore(probabilities, DrawSubsets((int)probabilities.shape[0], options));
    }

    /// <summary>The variance over the given sub-ensembles of their mean probability of the class the full ensemble predicts.</summary>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2, summing to 1 over dimension 2; not disposed.</param>
    /// <param name="subsets">At least 2 subsets, each of distinct member indices in [0, M), not empty.</param>
    /// <returns>Variances in [0, 0.25], float64, shape <c>(N[, …])</c>; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> or <paramref name="subsets"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is invalid as above; fewer than 2 subsets, or a subset is empty, repeats a member or names one out of range.</exception>
    public static Tensor PredictionVariance(Tensor probabilities, IReadOnlyList<int[]> subsets)
    {
        ArgumentNullException.ThrowIfNull(subsets);
        Check(probabilities);
        CheckSubsets(subsets, probabilities.shape[0]);
        return PredictionVarianceCore(probabilities, subsets);
    }

    /// <summary>The variance over sub-ensembles of an ensemble measure computed on each, with subsets drawn by <see cref="DrawSubsets"/>.</summary>
    /// <param name="score">The measure computed on each subset.</param>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2, summing to 1 over dimension 2; not disposed.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="SubEnsembleOptions.Default"/>.</param>
    /// <returns>Variances ≥ 0, float64, shape <c>(N[, …])</c>; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is not a defined <see cref="EnsembleScore"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 3, fewer than 2 members, no samples, or holds NaN, infinite or out-of-range values; an option is out of range.</exception>
    public static Tensor ScoreVariance(EnsembleScore score, Tensor probabilities, SubEnsembleOptions? options = null)
    {
        CheckScore(score);
        Check(probabilities);
        return ScoreVarianceCore(score, probabilities, DrawSubsets((int)probabilities.shape[0], options));
    }

    /// <summary>The variance over the given sub-ensembles of an ensemble measure computed on each.</summary>
    /// <param name="score">The measure computed on each subset.</param>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2, summing to 1 over dimension 2; not disposed.</param>
    /// <param name="subsets">At least 2 subsets, each of distinct member indices in [0, M), not empty.</param>
    /// <returns>Variances ≥ 0, float64, shape <c>(N[, …])</c>; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> or <paramref name="subsets"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is not a defined <see cref="EnsembleScore"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is invalid as above; fewer than 2 subsets, or a subset is empty, repeats a member or names one out of range.</exception>
    public static Tensor ScoreVariance(EnsembleScore score, Tensor probabilities, IReadOnlyList<int[]> subsets)
    {
        ArgumentNullException.ThrowIfNull(subsets);
        CheckScore(score);
        Check(probabilities);
        CheckSubsets(subsets, probabilities.shape[0]);
        return ScoreVarianceCore(score, probabilities, subsets);
    }

    private static Tensor PredictionVarianceCore(Tensor probabilities, IReadOnlyList<int[]> subsets)
    {
        using var scope = torch.NewDisposeScope();
        var p = probabilities.to(ScalarType.Float64);
        using var full = Accumulate(EnsembleScore.PredictiveEntropy, p, null);
        var predicted = full.Mean().argmax(1, keepdim: true);
        var variance = new RunningVariance();
        foreach (var subset in subsets)
        {
            using var stepScope = torch.NewDisposeScope();
            using var accumulator = Accumulate(EnsembleScore.PredictiveEntropy, p, subset);
            variance.Add(accumulator.Mean().gather(1, predicted).squeeze(1));
        }

        return variance.Finish().MoveToOuterDisposeScope();
    }

    private static Tensor ScoreVarianceCore(EnsembleScore score, Tensor probabilities, IReadOnlyList<int[]> subsets)
    {
        using var scope = torch.NewDisposeScope();
        var p = probabilities.to(ScalarType.Float64);
        var variance = new RunningVariance();
        foreach (var subset in subsets)
        {
            using var stepScope = torch.NewDisposeScope();
            using var accumulator = Accumulate(score, p, subset);
            variance.Add(accumulator.Compute());
        }

        return variance.Finish().MoveToOuterDisposeScope();
    }

    /// <summary>An accumulator over the members of <paramref name="subset"/>, or over every member when it is <see langword="null"/>.</summary>
    private static EnsembleAccumulator Accumulate(EnsembleScore score, Tensor probabilities, int[]? subset)
    {
        var accumulator = new EnsembleAccumulator(score);
        var count = subset?.Length ?? (int)probabilities.shape[0];
        for (var i = 0; i < count; i++)
        {
            using var member = probabilities[subset?[i] ?? i];
            accumulator.Add(member);
        }

        return accumulator;
    }

    private static void Check(Tensor probabilities)
    {
        EnsembleScores.CheckMembers(probabilities, nameof(probabilities), 3);
        using var flat = probabilities.flatten(0, 1);
        ProbabilityConversion.ValidateProbabilities(flat, nameof(probabilities));
    }

    private static void CheckScore(EnsembleScore score)
    {
        if (!Enum.IsDefined(score))
        {
            throw new ArgumentOutOfRangeException(nameof(score), score, $"score must be a defined EnsembleScore; found {score}.");
        }
    }

    private static void CheckSubsets(IReadOnlyList<int[]> subsets, long members)
    {
        if (subsets.Count < 2)
        {
            throw new ArgumentException($"subsets must hold at least 2 subsets (a variance over one is 0); found {subsets.Count}.", nameof(subsets));
        }

        var seen = new bool[members];
        for (var s = 0; s < subsets.Count; s++)
        {
            var subset = subsets[s];
            if (subset is null || subset.Length == 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"subsets[{s}] is null or empty; each subset needs at least one member."), nameof(subsets));
            }

            Array.Clear(seen);
            foreach (var member in subset)
            {
                if (member < 0 || member >= members || seen[member])
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture,
                            $"subsets[{s}] must hold distinct member indices in [0, {members}); found {member}{(member >= 0 && member < members ? " twice" : string.Empty)}."),
                        nameof(subsets));
                }

                seen[member] = true;
            }
        }
    }

    /// <summary>C(n, k), saturating at <see cref="long.MaxValue"/>.</summary>
    private static long Binomial(int n, int k)
    {
        k = Math.Min(k, n - k);
        double result = 1;
        for (var i = 1; i <= k; i++)
        {
            result = result * (n - k + i) / i;
            if (result > long.MaxValue / 2)
            {
                return long.MaxValue;
            }
        }

        return (long)Math.Round(result);
    }

    /// <summary>Every subset of size <paramref name="size"/> of {0, …, n − 1}, in lexicographic order.</summary>
    private static int[][] AllSubsets(int n, int size)
    {
        var result = new List<int[]>();
        var current = new int[size];
        for (var i = 0; i < size; i++)
        {
            current[i] = i;
        }

        while (true)
        {
            result.Add((int[])current.Clone());
            var j = size - 1;
            while (j >= 0 && current[j] == n - size + j)
            {
                j--;
            }

            if (j < 0)
            {
                return result.ToArray();
            }

            current[j]++;
            for (var i = j + 1; i < size; i++)
            {
                current[i] = current[i - 1] + 1;
            }
        }
    }

    /// <summary>Welford's running mean and sum of squared deviations over tensors of one shape; <see cref="Finish"/> gives the population variance.</summary>
    private sealed class RunningVariance
    {
        private Tensor? mean;
        private Tensor? squares;
        private int count;

        public void Add(Tensor value)
        {
            count++;
            if (mean is null)
            {
                mean = value.to(ScalarType.Float64).clone().MoveToOuterDisposeScope();
                squares = torch.zeros_like(mean).MoveToOuterDisposeScope();
                return;
            }

            using var delta = value.sub(mean);
            mean.add_(delta.div(count));
            using var after = value.sub(mean);
            squares!.add_(delta.mul(after));
        }

        public Tensor Finish() => squares!.div(count).clamp_min_(0.0);
    }
}
