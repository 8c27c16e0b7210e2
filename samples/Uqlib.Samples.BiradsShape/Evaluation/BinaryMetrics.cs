using System;
using System.Collections.Generic;

namespace Uqlib.Samples.BiradsShape.Evaluation;

/// <summary>Accuracy, sensitivity and specificity of hard predictions, irregular (class 1) being the positive class as in the seed.</summary>
/// <param name="Count">The number of slices.</param>
/// <param name="Accuracy">The share of slices predicted correctly.</param>
/// <param name="Sensitivity">The share of irregular slices predicted irregular (NaN when there is none).</param>
/// <param name="Specificity">The share of round slices predicted round (NaN when there is none).</param>
public sealed record BinaryMetrics(int Count, double Accuracy, double Sensitivity, double Specificity)
{
    /// <summary>Computes the metrics of hard predictions.</summary>
    /// <param name="predicted">Predicted classes, each 0 or 1.</param>
    /// <param name="truth">True classes, each 0 or 1.</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The lengths differ, the lists are empty, or a class is not 0 or 1.</exception>
    public static BinaryMetrics Compute(IReadOnlyList<int> predicted, IReadOnlyList<int> truth)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(truth);
        if (predicted.Count != truth.Count)
        {
            throw new ArgumentException($"predicted and truth must have the same length; found {predicted.Count} and {truth.Count}.", nameof(predicted));
        }

        if (truth.Count == 0)
        {
            throw new ArgumentException("truth is empty: there is nothing to score.", nameof(truth));
        }

        int truePositive = 0, falseNegative = 0, trueNegative = 0, falsePositive = 0;
        for (var i = 0; i < truth.Count; i++)
        {
            var (p, t) = (predicted[i], truth[i]);
            if (p is not (0 or 1) || t is not (0 or 1))
            {
                throw new ArgumentException($"classes must be 0 or 1; found predicted {p}, truth {t} at index {i}.", nameof(predicted));
            }

            if (t == 1)
            {
                if (p == 1)
                {
                    truePositive++;
                }
                else
                {
                    falseNegative++;
                }
            }
            else if (p == 0)
            {
                trueNegative++;
            }
            else
            {
                falsePositive++;
            }
        }

        var positives = truePositive + falseNegative;
        var negatives = trueNegative + falsePositive;
        return new BinaryMetrics(
            truth.Count,
            (double)(truePositive + trueNegative) / truth.Count,
            positives == 0 ? double.NaN : (double)truePositive / positives,
            negatives == 0 ? double.NaN : (double)trueNegative / negatives);
    }
}
