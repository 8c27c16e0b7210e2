using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Ensembles;

/// <summary>Measures of disagreement between the members of an ensemble, as batched tensor operations on the members' outputs stacked along dimension 0.</summary>
/// <remarks>
/// Member probabilities have shape <c>(M, N, C)</c> for classification or <c>(M, N, C, H, W[, D])</c> for segmentation, with M ≥ 2
/// members; results have shape <c>(N)</c> or per-pixel maps <c>(N, H, W[, D])</c>. Variances are population variances over the members
/// (divided by M), as in the mixture of Lakshminarayanan et al. 2017, "Simple and scalable predictive uncertainty estimation using
/// deep ensembles". Entropies are in nats. Every score is oriented so that higher means more uncertain. Inputs are checked for NaN,
/// infinite and out-of-range values and never disposed; the functions are thread-safe.
/// </remarks>
public static class EnsembleScores
{
    /// <summary>The entropy of the mean prediction, H[(1/M) Σ_m p_m]: total uncertainty.</summary>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2.</param>
    /// <returns>Scores in [0, log C], shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 3, fewer than 2 members, no samples, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor PredictiveEntropy(Tensor probabilities) => Compute(EnsembleScore.PredictiveEntropy, probabilities);

    /// <summary>The mean of the members' entropies, (1/M) Σ_m H[p_m]: the aleatoric part of the predictive entropy.</summary>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2.</param>
    /// <returns>Scores in [0, log C], shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 3, fewer than 2 members, no samples, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor ExpectedEntropy(Tensor probabilities) => Compute(EnsembleScore.ExpectedEntropy, probabilities);

    /// <summary>The mutual information between the prediction and the member, predictive minus expected entropy (BALD; Houlsby et al. 2011, Gal et al. 2017).</summary>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2.</param>
    /// <returns>Scores in [0, log M] (rounding below 0 is clamped to 0), shape <c>(N[, …])</c>; 0 when every member agrees exactly.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 3, fewer than 2 members, no samples, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor MutualInformation(Tensor probabilities) => Compute(EnsembleScore.MutualInformation, probabilities);

    /// <summary>The variance over members of the probability of the predicted class c* = argmax of the mean prediction (ties: lowest class).</summary>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2.</param>
    /// <returns>Scores in [0, 0.25], shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 3, fewer than 2 members, no samples, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor Variance(Tensor probabilities) => Compute(EnsembleScore.Variance, probabilities);

    /// <summary>The variance over members of each class probability, summed over classes.</summary>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2.</param>
    /// <returns>Scores in [0, 1], shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 3, fewer than 2 members, no samples, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor TotalVariance(Tensor probabilities) => Compute(EnsembleScore.TotalVariance, probabilities);

    /// <summary>The fraction of members whose predicted class differs from the members' majority vote: 1 − (votes for the most voted class) / M.</summary>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2.</param>
    /// <returns>Scores in [0, 1 − 1/min(M, C)], shape <c>(N[, …])</c>; the value does not depend on how a tied vote is broken.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 3, fewer than 2 members, no samples, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor Disagreement(Tensor probabilities) => Compute(EnsembleScore.Disagreement, probabilities);

    /// <summary>The mean Kullback–Leibler divergence KL(p_m ‖ p_m′) over the M(M − 1) ordered pairs of distinct members, in nats.</summary>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2.</param>
    /// <returns>Scores ≥ 0, shape <c>(N[, …])</c>. Probabilities are clamped to the smallest normal number of their dtype before the logarithm, so a zero where another member is positive gives a large finite divergence.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 3, fewer than 2 members, no samples, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor ExpectedPairwiseKL(Tensor probabilities) => Compute(EnsembleScore.ExpectedPairwiseKL, probabilities);

    /// <summary>Computes the chosen measure from member probabilities, validating them once.</summary>
    /// <param name="score">The measure.</param>
    /// <param name="probabilities">Member probabilities <c>(M, N, C[, …])</c>, M ≥ 2, summing to 1 over dimension 2.</param>
    /// <returns>Scores <c>(N[, …])</c>; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="score"/> is not a defined <see cref="EnsembleScore"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 3, fewer than 2 members, no samples, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor Compute(EnsembleScore score, Tensor probabilities)
    {
        if (!Enum.IsDefined(score))
        {
            throw new ArgumentOutOfRangeException(nameof(score), score, $"score must be a defined EnsembleScore; found {score}.");
        }

        CheckMembers(probabilities, nameof(probabilities), 3);
        using (var flat = probabilities.flatten(0, 1))
        {
            ProbabilityConversion.ValidateProbabilities(flat, nameof(probabilities));
        }

        return OutputDtype.PerCase(ComputeCore(score, probabilities));
    }

    /// <summary>The standard deviation over members of a binary model's positive-class probability.</summary>
    /// <param name="positiveProbabilities">Positive-class probabilities <c>(M, N[, …])</c> in [0, 1], M ≥ 2.</param>
    /// <returns>Scores in [0, 0.5], shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="positiveProbabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 2, fewer than 2 members, no samples, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor BinaryStandardDeviation(Tensor positiveProbabilities)
    {
        CheckMembers(positiveProbabilities, nameof(positiveProbabilities), 2);
        using (var flat = positiveProbabilities.flatten())
        {
            ProbabilityConversion.ValidateProbabilities(flat, nameof(positiveProbabilities));
        }

        return OutputDtype.PerCase(positiveProbabilities.std(0, unbiased: false));
    }

    /// <summary>The variance over members of their predicted values (the epistemic part for regression).</summary>
    /// <param name="means">Members' predictions <c>(M, N[, …])</c>, M ≥ 2.</param>
    /// <returns>Variances ≥ 0, shape <c>(N[, …])</c>, one per predicted value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="means"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor has rank below 2, fewer than 2 members, no samples, or holds NaN or infinite values.</exception>
    public static Tensor RegressionVariance(Tensor means)
    {
        CheckMembers(means, nameof(means), 2);
        Preconditions.Finite(means, nameof(means));
        return OutputDtype.PerCase(means.var(0, unbiased: false));
    }

    /// <summary>The total predictive variance of an ensemble whose members predict a mean and a variance: the mean of the variances plus the variance of the means (the variance of the uniform mixture).</summary>
    /// <param name="means">Members' predicted means <c>(M, N[, …])</c>, M ≥ 2.</param>
    /// <param name="variances">Members' predicted variances, the shape of <paramref name="means"/>, each ≥ 0.</param>
    /// <returns>Variances ≥ 0, shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="means"/> or <paramref name="variances"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor has rank below 2, fewer than 2 members or no samples, holds NaN or infinite values, the shapes differ, or a variance is negative.</exception>
    /// <remarks>Lakshminarayanan et al. 2017, "Simple and scalable predictive uncertainty estimation using deep ensembles", section 2.4.</remarks>
    public static Tensor RegressionTotalVariance(Tensor means, Tensor variances)
    {
        CheckMembers(means, nameof(means), 2);
        Preconditions.Finite(means, nameof(means));
        CheckMembers(variances, nameof(variances), 2);
        if (!means.shape.AsSpan().SequenceEqual(variances.shape))
        {
            throw new ArgumentException(
                $"variances must have the shape of means, {Preconditions.ShapeText(means)}; found {Preconditions.ShapeText(variances)}.", nameof(variances));
        }

        Preconditions.Finite(variances, nameof(variances));
        using var scope = torch.NewDisposeScope();
        var lowest = variances.min().ToDouble();
        if (lowest < 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"variances must be at least 0; found {lowest}."), nameof(variances));
        }

        return OutputDtype.PerCase(variances.mean(new long[] { 0 }).add_(means.var(0, unbiased: false))).MoveToOuterDisposeScope();
    }

    /// <summary>Computes a measure from member probabilities already validated or produced by the library, one member at a time.</summary>
    internal static Tensor ComputeCore(EnsembleScore score, Tensor probabilities)
    {
        using var accumulator = new EnsembleAccumulator(score);
        var members = probabilities.shape[0];
        for (long m = 0; m < members; m++)
        {
            using var member = probabilities[m];
            accumulator.Add(member);
        }

        return accumulator.Compute();
    }

    /// <summary>Checks a members-first tensor: rank, at least 2 members, at least one sample.</summary>
    internal static void CheckMembers(Tensor value, string name, int minRank)
    {
        Preconditions.Tensor(value, name, minRank, 9);
        if (value.shape[0] < 2)
        {
            throw new ArgumentException(
                $"{name} must hold at least 2 members along dimension 0 (an ensemble of one has no variability); found shape {Preconditions.ShapeText(value)}.", name);
        }

        if (value.shape[1] == 0)
        {
            throw new ArgumentException($"{name} is empty: it has no samples along dimension 1 (shape {Preconditions.ShapeText(value)}).", name);
        }
    }
}
