using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Scores;

/// <summary>Uncertainty scores of a single model's output, as batched tensor operations over dimension 1 (classes).</summary>
/// <remarks>
/// Every score is oriented so that higher means more uncertain. Inputs <c>(N, C)</c> give scores <c>(N)</c>; segmentation outputs
/// <c>(N, C, H, W[, D])</c> give per-pixel maps <c>(N, H, W[, D])</c>. Inputs are checked for NaN and infinite values and never disposed.
/// </remarks>
public static class SoftmaxScores
{
    /// <summary>The maximum softmax probability as a score: 1 − max over classes of p (Hendrycks &amp; Gimpel 2017).</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C[, …])</c>.</param>
    /// <returns>Scores in [0, 1 − 1/C], shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank below 2, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor MaxProbability(Tensor probabilities)
    {
        CheckProbabilities(probabilities);
        return MaxProbabilityCore(probabilities);
    }

    /// <summary>The Shannon entropy −Σ p log p over classes, in nats (0 log 0 = 0).</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C[, …])</c>.</param>
    /// <returns>Scores in [0, log C], shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank below 2, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor Entropy(Tensor probabilities)
    {
        CheckProbabilities(probabilities);
        return EntropyCore(probabilities);
    }

    /// <summary>One minus the margin between the two largest class probabilities: 1 − (p₁ − p₂).</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C[, …])</c> with C ≥ 2.</param>
    /// <returns>Scores in [0, 1], shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank below 2, has fewer than 2 classes, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor Margin(Tensor probabilities)
    {
        CheckProbabilities(probabilities);
        if (probabilities.shape[1] < 2)
        {
            throw new ArgumentException(
                $"probabilities must have at least 2 classes for a margin; found shape {Preconditions.ShapeText(probabilities)}.", nameof(probabilities));
        }

        return MarginCore(probabilities);
    }

    /// <summary>The negative maximum logit (Hendrycks et al. 2022, "Scaling out-of-distribution detection for real-world settings").</summary>
    /// <param name="logits">Class logits <c>(N, C[, …])</c>.</param>
    /// <returns>Scores, shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="logits"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank below 2, or holds NaN or infinite values.</exception>
    public static Tensor MaxLogit(Tensor logits)
    {
        CheckLogits(logits);
        return logits.amax(1).neg_();
    }

    /// <summary>The free energy −T·logsumexp(logits / T) (Liu et al. 2020, "Energy-based out-of-distribution detection"), computed stably.</summary>
    /// <param name="logits">Class logits <c>(N, C[, …])</c>.</param>
    /// <param name="temperature">The temperature T, finite and greater than 0.</param>
    /// <returns>Scores, shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="logits"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank below 2, or holds NaN or infinite values.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not a finite positive number.</exception>
    public static Tensor Energy(Tensor logits, double temperature = 1.0)
    {
        CheckLogits(logits);
        Preconditions.Positive(temperature, nameof(temperature));
        return EnergyCore(logits, temperature);
    }

    /// <summary>The distance of a binary model's positive-class probability to the nearest hard label, 0.5 − |p − 0.5|: 0 for a certain prediction, 0.5 for p = 0.5.</summary>
    /// <param name="probabilities">Positive-class probabilities <c>(N)</c> or <c>(N, 1)</c>, or two-class probabilities <c>(N, 2)</c> (column 1 is positive).</param>
    /// <returns>Scores in [0, 0.5], shape <c>(N)</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, not of shape (N), (N, 1) or (N, 2), or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor DistanceToHardLabel(Tensor probabilities)
    {
        Preconditions.Tensor(probabilities, nameof(probabilities), 1, 2);
        if (probabilities.dim() == 2 && probabilities.shape[1] > 2)
        {
            throw new ArgumentException(
                $"probabilities must be binary, (N), (N, 1) or (N, 2); found shape {Preconditions.ShapeText(probabilities)}.", nameof(probabilities));
        }

        using (var positive = PositiveColumn(probabilities))
        {
            ProbabilityConversion.ValidateProbabilities(positive, nameof(probabilities));
        }

        return DistanceToHardLabelCore(probabilities);
    }

    /// <summary>Computes the chosen score from a model's raw output, validating the output once.</summary>
    /// <param name="score">The score to compute.</param>
    /// <param name="output">The raw output (logits or probabilities, as <paramref name="kind"/> says).</param>
    /// <param name="kind">How the output becomes probabilities; logit-based scores need <see cref="OutputKind.MulticlassLogits"/> or <see cref="OutputKind.BinaryLogit"/>.</param>
    /// <returns>Scores <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The output is invalid for the score or kind (the message names <paramref name="output"/>).</exception>
    public static Tensor Compute(SoftmaxScore score, Tensor output, OutputKind kind)
    {
        using var scope = torch.NewDisposeScope();
        Tensor result = score switch
        {
            SoftmaxScore.MaxProbability when kind == OutputKind.MulticlassLogits => MaxProbabilityFromLogits(ProbabilityConversion.ToLogits(output, kind)),
            SoftmaxScore.Entropy when kind == OutputKind.MulticlassLogits => EntropyFromLogits(ProbabilityConversion.ToLogits(output, kind)),
            SoftmaxScore.MaxLogit => ProbabilityConversion.ToLogits(output, kind).amax(1).neg_(),
            SoftmaxScore.Energy => EnergyCore(ProbabilityConversion.ToLogits(output, kind), 1.0),
            _ => FromProbabilities(score, ProbabilityConversion.ToProbabilities(output, kind)),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Computes a probability-based score from probabilities already validated or produced by the library.</summary>
    internal static Tensor FromProbabilities(SoftmaxScore score, Tensor probabilities)
    {
        return score switch
        {
            SoftmaxScore.MaxProbability => MaxProbabilityCore(probabilities),
            SoftmaxScore.Entropy => EntropyCore(probabilities),
            SoftmaxScore.Margin => probabilities.shape[1] >= 2 ? MarginCore(probabilities) : Margin(probabilities),
            SoftmaxScore.DistanceToHardLabel => DistanceToHardLabel(probabilities),
            SoftmaxScore.MaxLogit or SoftmaxScore.Energy => throw new ArgumentException(
                $"{score} is computed from logits, not probabilities.", nameof(score)),
            _ => throw new ArgumentOutOfRangeException(nameof(score), score, $"score must be a defined SoftmaxScore; found {score}."),
        };
    }

    private static Tensor MaxProbabilityCore(Tensor probabilities)
    {
        using var scope = torch.NewDisposeScope();
        return probabilities.amax(1).neg_().add_(1.0).MoveToOuterDisposeScope();
    }

    /// <summary>1 − max p without materialising the softmax: max p = exp(max z − logsumexp z), so the score is −expm1(max z − logsumexp z). Logits already validated.</summary>
    private static Tensor MaxProbabilityFromLogits(Tensor logits)
    {
        using var scope = torch.NewDisposeScope();
        return logits.amax(1).sub_(logits.logsumexp(1)).expm1_().neg_().MoveToOuterDisposeScope();
    }

    /// <summary>The entropy from log-probabilities, −Σ exp(log p)·log p: no per-element logarithm, exact for p = 0. Logits already validated.</summary>
    private static Tensor EntropyFromLogits(Tensor logits)
    {
        using var scope = torch.NewDisposeScope();
        var logp = logits.log_softmax(1);
        return logp.exp().mul_(logp).sum(1).neg_().clamp_min_(0.0).MoveToOuterDisposeScope();
    }

    private static Tensor EntropyCore(Tensor probabilities)
    {
        using var scope = torch.NewDisposeScope();
        return probabilities.xlogy(probabilities).sum(1).neg_().clamp_min_(0.0).MoveToOuterDisposeScope();
    }

    private static Tensor MarginCore(Tensor probabilities)
    {
        using var scope = torch.NewDisposeScope();
        var (top, _) = probabilities.topk(2, dim: 1);
        return top.select(1, 1).sub(top.select(1, 0)).add_(1.0).MoveToOuterDisposeScope();
    }

    private static Tensor EnergyCore(Tensor logits, double temperature)
    {
        using var scope = torch.NewDisposeScope();
        var scaled = temperature == 1.0 ? logits : logits.div(temperature);
        return scaled.logsumexp(1).mul_(-temperature).MoveToOuterDisposeScope();
    }

    private static Tensor DistanceToHardLabelCore(Tensor probabilities)
    {
        using var scope = torch.NewDisposeScope();
        return PositiveColumn(probabilities).sub(0.5).abs_().neg_().add_(0.5).MoveToOuterDisposeScope();
    }

    /// <summary>The positive-class probability (N) of a binary probability tensor (N), (N, 1) or (N, 2).</summary>
    private static Tensor PositiveColumn(Tensor probabilities)
    {
        return probabilities.dim() == 1 ? probabilities.alias() : probabilities.select(1, probabilities.shape[1] - 1);
    }

    private static void CheckProbabilities(Tensor probabilities)
    {
        Preconditions.Tensor(probabilities, nameof(probabilities), 2, 8);
        ProbabilityConversion.ValidateProbabilities(probabilities, nameof(probabilities));
    }

    private static void CheckLogits(Tensor logits)
    {
        Preconditions.Tensor(logits, nameof(logits), 2, 8);
        Preconditions.Finite(logits, nameof(logits));
    }
}
