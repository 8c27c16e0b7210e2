using System;
using System.Globalization;
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
    /// <summary>One minus the maximum softmax probability, 1 − max over classes of p (MSP, Hendrycks &amp; Gimpel 2017): already a score, higher = less confident.</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C[, …])</c>.</param>
    /// <returns>Scores in [0, 1 − 1/C], shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank below 2, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor OneMinusMaxProbability(Tensor probabilities)
    {
        CheckProbabilities(probabilities);
        return OutputDtype.PerCase(MaxProbabilityCore(probabilities));
    }

    /// <summary>The Shannon entropy −Σ p log p over classes, in nats (0 log 0 = 0).</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C[, …])</c>.</param>
    /// <returns>Scores in [0, log C], shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank below 2, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor Entropy(Tensor probabilities)
    {
        CheckProbabilities(probabilities);
        return OutputDtype.PerCase(EntropyCore(probabilities));
    }

    /// <summary>One minus the margin between the two largest class probabilities: 1 − (p₁ − p₂).</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C[, …])</c> with C ≥ 2.</param>
    /// <returns>Scores in [0, 1], shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank below 2, has fewer than 2 classes, or holds NaN, infinite or out-of-range values.</exception>
    public static Tensor OneMinusMargin(Tensor probabilities)
    {
        CheckProbabilities(probabilities);
        if (probabilities.shape[1] < 2)
        {
            throw new ArgumentException(
                $"probabilities must have at least 2 classes for a margin; found shape {Preconditions.ShapeText(probabilities)}.", nameof(probabilities));
        }

        return OutputDtype.PerCase(MarginCore(probabilities));
    }

    /// <summary>The negative maximum logit, −max over classes of z (Hendrycks et al. 2022, "Scaling out-of-distribution detection for real-world settings").</summary>
    /// <param name="logits">Class logits <c>(N, C[, …])</c>.</param>
    /// <returns>Scores, shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="logits"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank below 2, holds NaN or infinite values, or holds probabilities (every value in [0, 1], every row summing to 1) rather than logits.</exception>
    public static Tensor NegativeMaxLogit(Tensor logits)
    {
        CheckLogits(logits);
        return OutputDtype.PerCase(logits.amax(1).neg_());
    }

    /// <summary>The free energy −T·logsumexp(logits / T) (Liu et al. 2020, "Energy-based out-of-distribution detection"), computed stably.</summary>
    /// <remarks>Computed as −(max z + T·log1p(Σ_{c ≠ top} exp((z_c − max z) / T))), whose exponent is never positive: any finite logits and any finite
    /// positive temperature give a finite score (the limit −max z for a tiny T), unless the energy itself lies outside the range of the logits' dtype.</remarks>
    /// <param name="logits">Class logits <c>(N, C[, …])</c>.</param>
    /// <param name="temperature">The temperature T, finite and greater than 0.</param>
    /// <returns>Scores, shape <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="logits"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank below 2, holds NaN or infinite values, or holds probabilities (every value in [0, 1], every row summing to 1) rather than logits.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not a finite positive number, or so large that the energy (about −T·log C) exceeds the range of the logits' dtype.</exception>
    public static Tensor Energy(Tensor logits, double temperature = 1.0)
    {
        CheckLogits(logits);
        Preconditions.Positive(temperature, nameof(temperature));
        return OutputDtype.PerCase(EnergyCore(logits, temperature));
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

        return OutputDtype.PerCase(DistanceToHardLabelCore(probabilities));
    }

    /// <summary>Computes the chosen score from a model's raw output, validating the output once.</summary>
    /// <param name="score">The score to compute.</param>
    /// <param name="output">The raw output (logits or probabilities, as <paramref name="kind"/> says).</param>
    /// <param name="kind">How the output becomes probabilities; logit-based scores need <see cref="OutputKind.MulticlassLogits"/> or <see cref="OutputKind.BinaryLogit"/>.</param>
    /// <returns>Scores <c>(N[, …])</c>.</returns>
    /// <exception cref="ArgumentException">The output is invalid for the score or kind.</exception>
    public static Tensor Compute(SoftmaxScore score, Tensor output, OutputKind kind)
    {
        using var scope = torch.NewDisposeScope();
        Tensor result = score switch
        {
            SoftmaxScore.NegativeMaxLogit => ProbabilityConversion.ToLogits(output, kind).amax(1).neg_(),
            SoftmaxScore.Energy => EnergyCore(ProbabilityConversion.ToLogits(output, kind), 1.0),
            SoftmaxScore.OneMinusMaxProbability or SoftmaxScore.Entropy or SoftmaxScore.OneMinusMargin when kind is OutputKind.MulticlassLogits or OutputKind.BinaryLogit
                => FromLogits(score, ProbabilityConversion.ToLogits(output, kind)),
            SoftmaxScore.DistanceToHardLabel when kind == OutputKind.BinaryLogit => FromLogits(SoftmaxScore.OneMinusMaxProbability, ProbabilityConversion.ToLogits(output, kind)),
            _ => FromProbabilities(score, ProbabilityConversion.ToProbabilities(output, kind)),
        };
        return OutputDtype.PerCase(result).MoveToOuterDisposeScope();
    }

    /// <summary>Computes a probability-based score from probabilities already validated or produced by the library.</summary>
    internal static Tensor FromProbabilities(SoftmaxScore score, Tensor probabilities)
    {
        return score switch
        {
            SoftmaxScore.OneMinusMaxProbability => MaxProbabilityCore(probabilities),
            SoftmaxScore.Entropy => EntropyCore(probabilities),
            SoftmaxScore.OneMinusMargin => probabilities.shape[1] >= 2 ? MarginCore(probabilities) : OneMinusMargin(probabilities),
            SoftmaxScore.DistanceToHardLabel => DistanceToHardLabel(probabilities),
            SoftmaxScore.NegativeMaxLogit or SoftmaxScore.Energy => throw new ArgumentException(
                $"{score} is computed from logits, not probabilities.", nameof(score)),
            _ => throw new ArgumentOutOfRangeException(nameof(score), score, $"score must be a defined SoftmaxScore; found {score}."),
        };
    }

    private static Tensor MaxProbabilityCore(Tensor probabilities)
    {
        using var scope = torch.NewDisposeScope();
        return probabilities.amax(1).neg_().add_(1.0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A probability-based score computed from validated logits in log space, exact to the precision of the logits' dtype for any finite logits:
    /// with R = Σ_{c ≠ top} exp(z_c − z_top), 1 − max p = R / (1 + R), log p_top = −log1p(R), log p_c = z_c − z_top − log1p(R), and the margin
    /// score 1 − p₁ + p₂ = (R + exp(z₂ − z_top)) / (1 + R). Nothing is computed as 1 − (a number near 1), so confident predictions keep their
    /// order, ties keep their value (logits (10⁸, 10⁸, 0) give 0.5), and logits near ±3.4·10³⁸ give neither NaN nor −0.
    /// </summary>
    private static Tensor FromLogits(SoftmaxScore score, Tensor logits)
    {
        using var scope = torch.NewDisposeScope();
        var (top, index) = logits.max(1, keepdim: true);
        var shifted = logits.sub(top);
        var others = shifted.exp().scatter_(1, index, torch.zeros_like(top));
        var rest = others.sum(1, keepdim: true);
        Tensor result;
        switch (score)
        {
            case SoftmaxScore.OneMinusMaxProbability:
                result = rest.div(rest.add(1.0)).squeeze(1);
                break;
            case SoftmaxScore.OneMinusMargin when logits.shape[1] < 2:
                throw new ArgumentException(
                    $"output must have at least 2 classes for a margin; found shape {Preconditions.ShapeText(logits)}.", "output");
            case SoftmaxScore.OneMinusMargin:
                result = others.amax(new long[] { 1 }, keepdim: true).add_(rest).div_(rest.add(1.0)).squeeze(1);
                break;
            default:
                // log p ≥ the dtype's lowest finite value, so that p = 0 contributes 0 · finite = 0 rather than 0 · (−∞) = NaN; every term p · (−log p) is ≥ +0.
                var logp = shifted.sub_(rest.log1p()).clamp_min_(torch.finfo(logits.dtype).min);
                result = logp.exp().mul_(logp.neg()).sum(1);
                break;
        }

        return result.MoveToOuterDisposeScope();
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

    /// <summary>
    /// −T·logsumexp(z / T) as −(z_top + T·log1p(Σ_{c ≠ top} exp((z_c − z_top) / T))): the exponent is never positive, so no temperature and no
    /// finite logit overflows it; a temperature other than 1 is applied in float64, so a T far outside the dtype's range still gives the limit −z_top.
    /// </summary>
    private static Tensor EnergyCore(Tensor logits, double temperature)
    {
        using var scope = torch.NewDisposeScope();
        var (top, index) = logits.max(1, keepdim: true);
        var shifted = logits.sub(top);
        Tensor rest;
        if (temperature == 1.0)
        {
            rest = shifted.exp_().scatter_(1, index, torch.zeros_like(top)).sum(1).log1p_();
        }
        else
        {
            var scaled = shifted.to(ScalarType.Float64).div_(temperature).exp_();
            rest = scaled.scatter_(1, index, torch.zeros(top.shape, ScalarType.Float64, top.device)).sum(1).log1p_().mul_(temperature);
        }

        var energy = top.squeeze(1).to(rest.dtype).add_(rest).neg_().to(logits.dtype);
        if (temperature != 1.0 && !energy.isfinite().all().item<bool>())
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature,
                string.Create(CultureInfo.InvariantCulture,
                    $"temperature {temperature} makes the energy −T·logsumexp(logits / T) exceed the range of {logits.dtype}; use a smaller temperature or float64 logits."));
        }

        return energy.MoveToOuterDisposeScope();
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
        Preconditions.NotProbabilities(logits, nameof(logits));
    }
}
