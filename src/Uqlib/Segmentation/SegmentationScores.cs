using System;
using TorchSharp;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Segmentation;

/// <summary>Per-pixel/voxel predictions and uncertainty maps of one segmentation model's output.</summary>
/// <remarks>
/// <para>
/// A segmentation output is <c>(N, C, H, W)</c> or <c>(N, C, D, H, W)</c>: multiclass logits (C ≥ 2, softmax over C), a binary logit
/// (C = 1, sigmoid), or probabilities (C ≥ 2 class probabilities, or C = 1 the positive-class probability of a sigmoid model). Maps and
/// masks are <c>(N, H, W)</c> or <c>(N, D, H, W)</c>, ready for <see cref="MapAggregation"/>. Class 0 is the background. The maps are
/// <see cref="SoftmaxScores"/> computed over dimension 1, so they are oriented higher = more uncertain. Inputs are checked for NaN and
/// infinite values and never disposed; the caller disposes the results.
/// </para>
/// <para>Pure and thread-safe; runs on the output's device.</para>
/// </remarks>
public static class SegmentationScores
{
    /// <summary>The per-pixel entropy of the predicted class distribution, −Σ p log p in nats.</summary>
    /// <param name="output">The model's output <c>(N, C, H, W)</c> or <c>(N, C, D, H, W)</c>.</param>
    /// <param name="kind">How the output becomes probabilities.</param>
    /// <returns>A map <c>(N, H, W)</c> or <c>(N, D, H, W)</c> in [0, log C] (log 2 for a binary model).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The output is empty, not of rank 4 or 5, has a class count that does not fit <paramref name="kind"/>, holds NaN, infinite or invalid probability values, or <paramref name="kind"/> is a regression kind.</exception>
    /// <remarks>Softmax entropy per voxel, as in Mehrtash et al. 2020 ("Confidence calibration and predictive uncertainty estimation for deep medical image segmentation").</remarks>
    public static Tensor EntropyMap(Tensor output, OutputKind kind)
    {
        return Map(SoftmaxScore.Entropy, output, kind);
    }

    /// <summary>The per-pixel maximum-probability score 1 − max over classes of p.</summary>
    /// <param name="output">The model's output <c>(N, C, H, W)</c> or <c>(N, C, D, H, W)</c>.</param>
    /// <param name="kind">How the output becomes probabilities.</param>
    /// <returns>A map <c>(N, H, W)</c> or <c>(N, D, H, W)</c> in [0, 1 − 1/C] (for a binary model, 0.5 − |p − 0.5|).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The output is empty, not of rank 4 or 5, has a class count that does not fit <paramref name="kind"/>, holds NaN, infinite or invalid probability values, or <paramref name="kind"/> is a regression kind.</exception>
    /// <remarks>Hendrycks &amp; Gimpel 2017 per pixel.</remarks>
    public static Tensor OneMinusMaxProbabilityMap(Tensor output, OutputKind kind)
    {
        return Map(SoftmaxScore.OneMinusMaxProbability, output, kind);
    }

    /// <summary>Any <see cref="SoftmaxScore"/> as a per-pixel map.</summary>
    /// <param name="score">The score; <see cref="SoftmaxScore.DistanceToHardLabel"/> needs a binary model (C = 1, or C = 2) and equals <see cref="SoftmaxScore.OneMinusMaxProbability"/> there; <see cref="SoftmaxScore.NegativeMaxLogit"/> and <see cref="SoftmaxScore.Energy"/> need logits.</param>
    /// <param name="output">The model's output <c>(N, C, H, W)</c> or <c>(N, C, D, H, W)</c>.</param>
    /// <param name="kind">How the output becomes probabilities.</param>
    /// <returns>A map <c>(N, H, W)</c> or <c>(N, D, H, W)</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The output is invalid as for <see cref="EntropyMap(Tensor, OutputKind)"/>, or the score does not apply to it.</exception>
    public static Tensor Map(SoftmaxScore score, Tensor output, OutputKind kind)
    {
        var classes = CheckOutput(output, kind);
        if (score == SoftmaxScore.DistanceToHardLabel)
        {
            if (classes > 2)
            {
                throw new ArgumentException(
                    $"DistanceToHardLabel needs a binary model (C = 1 or 2); found shape {Preconditions.ShapeText(output)}. Use OneMinusMaxProbability.", nameof(score));
            }

            score = SoftmaxScore.OneMinusMaxProbability;
        }

        if (kind == OutputKind.Probabilities && classes == 1)
        {
            CheckValues(output, kind, classes);
            using var scope = torch.NewDisposeScope();
            var positive = output.squeeze(1);
            var two = torch.stack(new[] { positive.neg().add_(1.0), positive }, 1);
            return SoftmaxScores.FromProbabilities(score, two).MoveToOuterDisposeScope();
        }

        return SoftmaxScores.Compute(score, output, kind);
    }

    /// <summary>The predicted class of each pixel: the most probable class (the first of ties), 0 or 1 for a binary model (1 where p &gt; 0.5).</summary>
    /// <param name="output">The model's output <c>(N, C, H, W)</c> or <c>(N, C, D, H, W)</c>.</param>
    /// <param name="kind">How the output becomes probabilities.</param>
    /// <returns>Labels <c>(N, H, W)</c> or <c>(N, D, H, W)</c>, int64.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The output is invalid as for <see cref="EntropyMap(Tensor, OutputKind)"/>.</exception>
    public static Tensor PredictedLabels(Tensor output, OutputKind kind)
    {
        var classes = CheckOutput(output, kind);
        CheckValues(output, kind, classes);
        using var scope = torch.NewDisposeScope();
        var threshold = kind == OutputKind.BinaryLogit ? 0.0 : 0.5;
        var labels = classes == 1 ? output.squeeze(1).gt(threshold).to(ScalarType.Int64) : output.argmax(1);
        return labels.MoveToOuterDisposeScope();
    }

    /// <summary>The predicted foreground of each pixel: any class other than the background class 0 (for a binary model, p &gt; 0.5).</summary>
    /// <param name="output">The model's output <c>(N, C, H, W)</c> or <c>(N, C, D, H, W)</c>.</param>
    /// <param name="kind">How the output becomes probabilities.</param>
    /// <returns>A bool mask <c>(N, H, W)</c> or <c>(N, D, H, W)</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The output is invalid as for <see cref="EntropyMap(Tensor, OutputKind)"/>.</exception>
    public static Tensor PredictedMask(Tensor output, OutputKind kind)
    {
        using var labels = PredictedLabels(output, kind);
        return labels.ne(0);
    }

    /// <summary>Checks the shape and kind of a segmentation output and returns its class count C.</summary>
    internal static long CheckOutput(Tensor output, OutputKind kind)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!output.IsInvalid && output.dim() is >= 1 and <= 3)
        {
            throw new ArgumentException(
                $"output must be a segmentation output (N, C, H, W) or (N, C, D, H, W); found shape {Preconditions.ShapeText(output)} "
                + "(a classification output? use Uqlib.Scores.SoftmaxScores).", nameof(output));
        }

        Preconditions.Tensor(output, nameof(output), 4, 5);
        Preconditions.NotEmpty(output, nameof(output));
        var classes = output.shape[1];
        switch (kind)
        {
            case OutputKind.MulticlassLogits when classes < 2:
                throw new ArgumentException(
                    $"output of a multiclass model must have at least 2 classes in dimension 1; found shape {Preconditions.ShapeText(output)}. A single sigmoid channel is OutputKind.BinaryLogit.",
                    nameof(output));
            case OutputKind.BinaryLogit when classes != 1:
                throw new ArgumentException(
                    $"output of a binary-logit model must have 1 channel in dimension 1, (N, 1, H, W) or (N, 1, D, H, W); found shape {Preconditions.ShapeText(output)}.",
                    nameof(output));
            case OutputKind.MulticlassLogits or OutputKind.BinaryLogit or OutputKind.Probabilities:
                return classes;
            case OutputKind.Regression or OutputKind.GaussianRegression:
                throw new ArgumentException(
                    $"A regression output has no class probabilities; found kind {kind}. Use the Uqlib.Regression metrics for regression models.", nameof(kind));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, $"kind must be a defined OutputKind; found {kind}.");
        }
    }

    /// <summary>Checks the values of an output: finite logits, or valid probabilities (C = 1: each in [0, 1]).</summary>
    internal static void CheckValues(Tensor output, OutputKind kind, long classes)
    {
        if (kind == OutputKind.Probabilities && classes >= 2)
        {
            ProbabilityConversion.ValidateProbabilities(output, nameof(output));
            return;
        }

        Preconditions.Finite(output, nameof(output));
        if (kind == OutputKind.Probabilities)
        {
            using var scope = torch.NewDisposeScope();
            var (min, max) = output.aminmax();
            var low = min.ToDouble();
            var high = max.ToDouble();
            if (low < 0 || high > 1)
            {
                throw new ArgumentException($"output must hold probabilities in [0, 1]; found values from {low} to {high}.", nameof(output));
            }
        }
    }
}
