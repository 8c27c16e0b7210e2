using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Evaluation;

/// <summary>Failure labels: which of a model's predictions count as failures (the positive class of failure detection).</summary>
/// <remarks>Each method returns a boolean tensor <c>(N)</c>, <see langword="true"/> for a failure, on the inputs' device. Inputs are never disposed. Thread-safe.</remarks>
public static class Failures
{
    /// <summary>Flags the samples whose most probable class (arg max) differs from the true label.</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c>: each in [0, 1], each row summing to 1. For logits use <see cref="Misclassified(Tensor, Tensor, OutputKind)"/>.</param>
    /// <param name="labels">True class indices <c>(N)</c>, integers in [0, C − 1].</param>
    /// <returns>Failures <c>(N)</c>, boolean.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, <paramref name="probabilities"/> holds NaN, ±∞ or values that are not
    /// probabilities (logits, say: the message names the overload that takes them), or a label is out of range.</exception>
    public static Tensor Misclassified(Tensor probabilities, Tensor labels)
    {
        Preconditions.Tensor(probabilities, nameof(probabilities), 2, 2);
        Preconditions.Tensor(labels, nameof(labels), 1, 1);
        Preconditions.SameLength(probabilities, nameof(probabilities), labels, nameof(labels));
        ProbabilityConversion.ValidateProbabilities(
            probabilities, nameof(probabilities), " For logits or a binary model's output, call Misclassified(output, labels, kind) with its OutputKind.");

        Preconditions.Labels(labels, nameof(labels), probabilities.shape[1]);
        using var scope = torch.NewDisposeScope();
        return probabilities.argmax(1).ne(labels.to(ScalarType.Int64)).MoveToOuterDisposeScope();
    }

    /// <summary>Flags the samples whose predicted class differs from the true label, for any classification output.</summary>
    /// <param name="output">The model's output as <paramref name="kind"/> declares it: multiclass logits or probabilities <c>(N, C)</c> (arg max), a binary logit <c>(N)</c>
    /// or <c>(N, 1)</c> (class 1 where z &gt; 0), or a binary positive-class probability <c>(N)</c> (class 1 where p &gt; 0.5).</param>
    /// <param name="labels">True class indices <c>(N)</c>, integers in [0, C − 1] (0 or 1 for a binary model).</param>
    /// <param name="kind">How the output becomes probabilities.</param>
    /// <returns>Failures <c>(N)</c>, boolean.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the output is invalid for <paramref name="kind"/> (see
    /// <see cref="ProbabilityConversion.ToProbabilities(Tensor, OutputKind)"/>), <paramref name="kind"/> is a regression kind, or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined <see cref="OutputKind"/>.</exception>
    public static Tensor Misclassified(Tensor output, Tensor labels, OutputKind kind)
    {
        using var scope = torch.NewDisposeScope();
        var probabilities = ProbabilityConversion.ToProbabilities(output, kind);
        if (probabilities.dim() != 2)
        {
            throw new ArgumentException(
                $"output of a classification model must give probabilities (N, C); found shape {Preconditions.ShapeText(output)} for {kind}.", nameof(output));
        }

        Preconditions.Tensor(labels, nameof(labels), 1, 1);
        Preconditions.SameLength(output, nameof(output), labels, nameof(labels));
        Preconditions.Labels(labels, nameof(labels), probabilities.shape[1]);
        return probabilities.argmax(1).ne(labels.to(ScalarType.Int64)).MoveToOuterDisposeScope();
    }

    /// <summary>Flags the images whose Dice coefficient between predicted and true binary masks is below <paramref name="threshold"/>.</summary>
    /// <param name="predictedMasks">Predicted binary masks <c>(N, H, W)</c> or <c>(N, D, H, W)</c>: booleans or 0/1.</param>
    /// <param name="trueMasks">True binary masks of the same shape.</param>
    /// <param name="threshold">The Dice below which an image counts as a failure, in [0, 1].</param>
    /// <returns>Failures <c>(N)</c>, boolean. Dice = 2|A ∩ B| / (|A| + |B|) per image; two empty masks have Dice 1.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, not of rank 3 or 4, the shapes differ, or a mask holds values other than 0 and 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is not in [0, 1].</exception>
    public static Tensor DiceBelow(Tensor predictedMasks, Tensor trueMasks, double threshold)
    {
        CheckMasks(predictedMasks, nameof(predictedMasks), trueMasks, nameof(trueMasks));
        Preconditions.InRange(threshold, nameof(threshold), 0, 1);
        CheckBinary(predictedMasks, nameof(predictedMasks));
        CheckBinary(trueMasks, nameof(trueMasks));
        using var scope = torch.NewDisposeScope();
        return BinaryDice(predictedMasks.ne(0), trueMasks.ne(0)).lt(threshold).MoveToOuterDisposeScope();
    }

    /// <summary>Flags the images whose Dice coefficient, averaged over classes, between predicted and true label maps is below <paramref name="threshold"/>.</summary>
    /// <param name="predictedLabels">Predicted class-index maps <c>(N, H, W)</c> or <c>(N, D, H, W)</c>, integers in [0, classes − 1].</param>
    /// <param name="trueLabels">True class-index maps of the same shape.</param>
    /// <param name="classes">The number of classes, from 2 to 100,000; class 0 is the background.</param>
    /// <param name="threshold">The mean Dice below which an image counts as a failure, in [0, 1].</param>
    /// <param name="includeBackground">Whether class 0 enters the average; by default only the foreground classes 1 … classes − 1 do.</param>
    /// <returns>Failures <c>(N)</c>, boolean. A class absent from both maps of an image has Dice 1 there.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, not of rank 3 or 4, the shapes differ, or a label is out of range.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is outside [2, 100,000] or <paramref name="threshold"/> is not in [0, 1].</exception>
    public static Tensor DiceBelow(Tensor predictedLabels, Tensor trueLabels, int classes, double threshold, bool includeBackground = false)
    {
        CheckMasks(predictedLabels, nameof(predictedLabels), trueLabels, nameof(trueLabels));
        Preconditions.InRange(classes, nameof(classes), 2, Preconditions.MaxClasses);
        Preconditions.InRange(threshold, nameof(threshold), 0, 1);
        Preconditions.Labels(predictedLabels, nameof(predictedLabels), classes);
        Preconditions.Labels(trueLabels, nameof(trueLabels), classes);
        using var scope = torch.NewDisposeScope();
        var first = includeBackground ? 0 : 1;
        var sum = torch.zeros(predictedLabels.shape[0], dtype: ScalarType.Float64, device: predictedLabels.device);
        for (var c = first; c < classes; c++)
        {
            sum.add_(BinaryDice(predictedLabels.eq(c), trueLabels.eq(c)));
        }

        return sum.div_(classes - first).lt(threshold).MoveToOuterDisposeScope();
    }

    /// <summary>Flags the samples whose absolute prediction error exceeds <paramref name="tolerance"/>.</summary>
    /// <param name="predicted">Predictions <c>(N)</c> or <c>(N, D)</c>, finite.</param>
    /// <param name="target">Targets of the same shape, finite.</param>
    /// <param name="tolerance">The largest acceptable absolute error, finite and at least 0.</param>
    /// <returns>Failures <c>(N)</c>, boolean: |predicted − target| &gt; tolerance; for <c>(N, D)</c>, the largest of the D absolute errors is compared.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or not of rank 1 or 2, the shapes differ, or a tensor holds NaN or ±∞.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is negative, NaN or infinite.</exception>
    public static Tensor AbsoluteErrorAbove(Tensor predicted, Tensor target, double tolerance)
    {
        Preconditions.Tensor(predicted, nameof(predicted), 1, 2);
        Preconditions.Tensor(target, nameof(target), 1, 2);
        SameShape(predicted, nameof(predicted), target, nameof(target));
        Preconditions.Finite(predicted, nameof(predicted));
        Preconditions.Finite(target, nameof(target));
        Preconditions.InRange(tolerance, nameof(tolerance), 0, double.MaxValue);
        using var scope = torch.NewDisposeScope();
        var error = predicted.to(ScalarType.Float64).sub(target.to(ScalarType.Float64)).abs_();
        if (error.dim() == 2)
        {
            error = error.amax(1);
        }

        return error.gt(tolerance).MoveToOuterDisposeScope();
    }

    /// <summary>Per-image Dice of two boolean masks (N, …): 2|A ∩ B| / (|A| + |B|), 1 where both are empty.</summary>
    internal static Tensor BinaryDice(Tensor predicted, Tensor truth)
    {
        using var scope = torch.NewDisposeScope();
        var dims = new long[predicted.dim() - 1];
        for (var i = 0; i < dims.Length; i++)
        {
            dims[i] = i + 1;
        }

        var intersection = predicted.logical_and(truth).sum(dims, type: ScalarType.Float64);
        var total = predicted.sum(dims, type: ScalarType.Float64).add_(truth.sum(dims, type: ScalarType.Float64));
        var dice = intersection.mul_(2).div_(total.clamp_min(1));
        return torch.where(total.eq(0), torch.ones_like(dice), dice).MoveToOuterDisposeScope();
    }

    private static void CheckMasks(Tensor predicted, string predictedName, Tensor truth, string truthName)
    {
        Preconditions.Tensor(predicted, predictedName, 3, 4);
        Preconditions.Tensor(truth, truthName, 3, 4);
        SameShape(predicted, predictedName, truth, truthName);
    }

    private static void SameShape(Tensor first, string firstName, Tensor second, string secondName)
    {
        if (!first.shape.AsSpan().SequenceEqual(second.shape))
        {
            throw new ArgumentException(
                $"{secondName} has shape {Preconditions.ShapeText(second)} but {firstName} has shape {Preconditions.ShapeText(first)}; they must match.",
                secondName);
        }
    }

    private static void CheckBinary(Tensor mask, string name)
    {
        if (mask.dtype == ScalarType.Bool)
        {
            return;
        }

        using var scope = torch.NewDisposeScope();
        var other = mask.ne(0).logical_and_(mask.ne(1));
        if (other.any().item<bool>())
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{name} must be a binary mask of booleans or 0/1 values; found {other.sum().item<long>()} other values."),
                name);
        }
    }
}
