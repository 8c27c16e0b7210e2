using System;
using System.Collections.Generic;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Evaluation;

/// <summary>Evaluates image-level uncertainty scores of a segmentation model against the Dice of its segmentations: failure detection (Dice below a threshold) and the Spearman rank correlation of each score with the Dice.</summary>
/// <remarks>
/// <para>Failures come from <see cref="Failures.DiceBelow(Tensor, Tensor, double)"/> (binary masks, or one class of label maps) or
/// <see cref="Failures.DiceBelow(Tensor, Tensor, int, double, bool)"/> (the mean over the foreground classes); the table is
/// <see cref="RocEvaluator.Compare(System.Collections.Generic.IReadOnlyDictionary{string, TorchSharp.torch.Tensor}, TorchSharp.torch.Tensor, RocOptions?)"/>'s. A useful score is high where the Dice is low, so its Spearman correlation with the Dice is
/// negative: the closer to −1, the better it orders the segmentations for review (Jungo &amp; Reyes 2019, "Assessing reliability and
/// challenges of uncertainty estimations for medical image segmentation"; Mehrtash et al. 2020).</para>
/// <para>Inputs are never disposed. Pure and thread-safe.</para>
/// </remarks>
public static class SegmentationEvaluation
{
    /// <summary>Evaluates scores against the Dice of binary (foreground) masks.</summary>
    /// <param name="scores">One score tensor <c>(N)</c> per method name, finite; higher means more uncertain.</param>
    /// <param name="predictedMasks">Predicted masks <c>(N, H, W)</c> or <c>(N, D, H, W)</c>: booleans or 0/1. For a multiclass model's foreground, pass <c>labels.ne(0)</c>.</param>
    /// <param name="trueMasks">True masks of the same shape.</param>
    /// <param name="diceThreshold">An image fails when its Dice is below this, in [0, 1].</param>
    /// <param name="options">The options of the comparison, or <see langword="null"/> for the defaults.</param>
    /// <returns>The comparison table, the Dice of each image and each score's Spearman correlation with it.</returns>
    /// <exception cref="ArgumentNullException">An argument or one of the score tensors is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The masks are empty, not of rank 3 or 4, of different shapes or not binary; a score tensor is not <c>(N)</c> for the N images or holds NaN or ±∞; the dictionary is empty; no image or every image fails (named <paramref name="diceThreshold"/>); a score is constant (its rank correlation is undefined); or the options are invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="diceThreshold"/> is not in [0, 1].</exception>
    public static SegmentationEvaluationResult Evaluate(
        IReadOnlyDictionary<string, Tensor> scores, Tensor predictedMasks, Tensor trueMasks, double diceThreshold, RocOptions? options = null)
    {
        Preconditions.NotNull(scores, nameof(scores));
        Preconditions.InRange(diceThreshold, nameof(diceThreshold), 0, 1);
        using var failures = Failures.DiceBelow(predictedMasks, trueMasks, diceThreshold);
        using var scope = torch.NewDisposeScope();
        var dice = CaseData.Scores(Failures.BinaryDice(predictedMasks.ne(0), trueMasks.ne(0)), nameof(predictedMasks));
        return Evaluate(scores, dice, failures, diceThreshold, options);
    }

    /// <summary>Evaluates scores against the Dice of label maps: the mean over the foreground classes, or the Dice of one class.</summary>
    /// <param name="scores">One score tensor <c>(N)</c> per method name, finite; higher means more uncertain.</param>
    /// <param name="predictedLabels">Predicted class-index maps <c>(N, H, W)</c> or <c>(N, D, H, W)</c>, integers in [0, classes − 1].</param>
    /// <param name="trueLabels">True class-index maps of the same shape.</param>
    /// <param name="classes">The number of classes, from 2 to 100,000; class 0 is the background.</param>
    /// <param name="diceThreshold">An image fails when its Dice is below this, in [0, 1].</param>
    /// <param name="evaluatedClass">The class whose Dice decides, in [0, classes − 1]; <see langword="null"/> for the mean Dice over the foreground classes 1 … classes − 1 (a class absent from both maps of an image counts 1).</param>
    /// <param name="options">The options of the comparison, or <see langword="null"/> for the defaults.</param>
    /// <returns>The comparison table, the Dice of each image and each score's Spearman correlation with it.</returns>
    /// <exception cref="ArgumentNullException">An argument or one of the score tensors is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The maps are empty, not of rank 3 or 4, of different shapes or hold a label out of range; a score tensor is not <c>(N)</c> for the N images or holds NaN or ±∞; the dictionary is empty; no image or every image fails (named <paramref name="diceThreshold"/>); a score is constant; or the options are invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is outside [2, 100,000], <paramref name="evaluatedClass"/> is out of range, or <paramref name="diceThreshold"/> is not in [0, 1].</exception>
    public static SegmentationEvaluationResult Evaluate(
        IReadOnlyDictionary<string, Tensor> scores,
        Tensor predictedLabels,
        Tensor trueLabels,
        int classes,
        double diceThreshold,
        int? evaluatedClass = null,
        RocOptions? options = null)
    {
        Preconditions.NotNull(scores, nameof(scores));
        Preconditions.InRange(diceThreshold, nameof(diceThreshold), 0, 1);
        using var failures = Failures.DiceBelow(predictedLabels, trueLabels, classes, diceThreshold);
        if (evaluatedClass is { } only)
        {
            if (only < 0 || only >= classes)
            {
                throw new ArgumentOutOfRangeException(nameof(evaluatedClass), only,
                    string.Create(CultureInfo.InvariantCulture, $"evaluatedClass must be a class index in [0, {classes - 1}]; found {only}."));
            }

            using var classScope = torch.NewDisposeScope();
            var predicted = predictedLabels.eq(only);
            var truth = trueLabels.eq(only);
            var classFailures = Failures.DiceBelow(predicted, truth, diceThreshold);
            var classDice = CaseData.Scores(Failures.BinaryDice(predicted, truth), nameof(predictedLabels));
            return Evaluate(scores, classDice, classFailures, diceThreshold, options);
        }

        using var scope = torch.NewDisposeScope();
        var sum = torch.zeros(predictedLabels.shape[0], dtype: ScalarType.Float64, device: predictedLabels.device);
        for (var c = 1; c < classes; c++)
        {
            sum.add_(Failures.BinaryDice(predictedLabels.eq(c), trueLabels.eq(c)));
        }

        var dice = CaseData.Scores(sum.div_(classes - 1), nameof(predictedLabels));
        return Evaluate(scores, dice, failures, diceThreshold, options);
    }

    /// <summary>Spearman's rank correlation: the Pearson correlation of the two samples' ranks, tied values sharing the mean of their ranks (as <c>scipy.stats.spearmanr</c>).</summary>
    /// <param name="first">The first sample, finite.</param>
    /// <param name="second">The second sample, finite, of the same length.</param>
    /// <returns>ρ in [−1, 1].</returns>
    /// <exception cref="ArgumentException">The samples hold fewer than 2 values, differ in length, hold NaN or ±∞, or one is constant (ρ is undefined).</exception>
    /// <remarks>C. Spearman, "The proof and measurement of association between two things", 1904. O(N log N).</remarks>
    public static double SpearmanCorrelation(ReadOnlySpan<double> first, ReadOnlySpan<double> second)
    {
        return Spearman(first, nameof(first), second, nameof(second));
    }

    private static SegmentationEvaluationResult Evaluate(
        IReadOnlyDictionary<string, Tensor> scores, double[] dice, Tensor failures, double diceThreshold, RocOptions? options)
    {
        if (scores.Count == 0)
        {
            throw new ArgumentException("scores is empty: at least one method is needed.", nameof(scores));
        }

        var failed = 0;
        foreach (var d in dice)
        {
            failed += d < diceThreshold ? 1 : 0;
        }

        if (failed == 0 || failed == dice.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{(failed == 0 ? "No" : "Every")} image has a Dice below diceThreshold = {diceThreshold} ({failed} of {dice.Length} failed; Dice from {Min(dice)} to {Max(dice)}): failure detection needs both failed and successful segmentations."),
                nameof(diceThreshold));
        }

        var names = new List<string>(scores.Count);
        var correlations = new List<double>(scores.Count);
        foreach (var (name, tensor) in scores)
        {
            var label = $"scores[\"{name}\"]";
            var values = CaseData.Scores(tensor ?? throw new ArgumentNullException(nameof(scores), $"{label} is null."), label);
            if (values.Length != dice.Length)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"{label} has {values.Length} scores but there are {dice.Length} images; they must match."),
                    nameof(scores));
            }

            names.Add(name);
            correlations.Add(Spearman(values, label, dice, "dice"));
        }

        var comparison = RocEvaluator.Compare(scores, failures, options);
        return new SegmentationEvaluationResult(comparison, dice, diceThreshold, names, correlations);
    }

    private static double Min(double[] values)
    {
        var min = values[0];
        foreach (var v in values)
        {
            min = Math.Min(min, v);
        }

        return min;
    }

    private static double Max(double[] values)
    {
        var max = values[0];
        foreach (var v in values)
        {
            max = Math.Max(max, v);
        }

        return max;
    }

    private static double Spearman(ReadOnlySpan<double> first, string firstName, ReadOnlySpan<double> second, string secondName)
    {
        if (first.Length != second.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{secondName} has {second.Length} values but {firstName} has {first.Length}; they must match."),
                secondName);
        }

        if (first.Length < 2)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{firstName} must hold at least 2 values for a rank correlation; found {first.Length}."),
                firstName);
        }

        Preconditions.Finite(first, firstName);
        Preconditions.Finite(second, secondName);
        var x = Ranks(first, firstName);
        var y = Ranks(second, secondName);
        var mean = (first.Length + 1) / 2.0;
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var dx = x[i] - mean;
            var dy = y[i] - mean;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        return Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1.0, 1.0);
    }

    /// <summary>1-based ranks, ties sharing the mean of their ranks; throws when every value is tied.</summary>
    private static double[] Ranks(ReadOnlySpan<double> values, string name)
    {
        var n = values.Length;
        var keys = values.ToArray();
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(keys, order);
        if (keys[0] == keys[n - 1])
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{name} is constant (every value is {keys[0]}): its rank correlation is undefined."),
                name);
        }

        var ranks = new double[n];
        for (var start = 0; start < n;)
        {
            var end = start + 1;
            while (end < n && keys[end] == keys[start])
            {
                end++;
            }

            var rank = ((start + end - 1) / 2.0) + 1;
            for (var k = start; k < end; k++)
            {
                ranks[order[k]] = rank;
            }

            start = end;
        }

        return ranks;
    }
}
