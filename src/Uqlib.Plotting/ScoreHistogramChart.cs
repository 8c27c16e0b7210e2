using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;
using Uqlib.Evaluation;
using static TorchSharp.torch;

namespace Uqlib.Plotting;

/// <summary>Histograms of an uncertainty score for the cases the model got right and those it got wrong, overlaid on one chart.</summary>
/// <remarks>
/// A good score puts the failures to the right (higher = more uncertain). Each group is normalised to its own size, so a
/// rare failure class stays visible; the legend gives each group's count. Bins are equal-width over the range of all scores.
/// </remarks>
public static class ScoreHistogramChart
{
    /// <summary>The title used when <see cref="ChartOptions.Title"/> is not set.</summary>
    public const string DefaultTitle = "Uncertainty score: correct vs failed cases";

    /// <summary>The y-axis label.</summary>
    public const string YLabel = "Fraction of the group";

    /// <summary>Draws the two histograms.</summary>
    /// <param name="scores">One finite score per case; higher means more uncertain.</param>
    /// <param name="failures">One label per case, <see langword="true"/> where the model failed.</param>
    /// <param name="scoreName">The score's name, shown on the x axis (for example "Entropy").</param>
    /// <param name="bins">The number of equal-width bins, 2 to 1000.</param>
    /// <param name="options">Size and title; <see langword="null"/> for the defaults.</param>
    /// <returns>The chart; dispose it when done.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scoreName"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="scores"/> is empty or holds NaN or ±∞; the lengths differ; or <paramref name="options"/> is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [2, 1000].</exception>
    public static Chart Create(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures, string scoreName = "Uncertainty score", int bins = 30, ChartOptions? options = null)
    {
        Preconditions.NotNull(scoreName, nameof(scoreName));
        Preconditions.InRange(bins, nameof(bins), 2, 1000);
        if (scores.IsEmpty)
        {
            throw new ArgumentException("scores is empty: there are no cases to draw.", nameof(scores));
        }

        if (scores.Length != failures.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"failures has {failures.Length} cases but scores has {scores.Length}; they must match."),
                nameof(failures));
        }

        Preconditions.Finite(scores, nameof(scores));
        var validated = ChartBuilder.Validated(options);

        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        foreach (var s in scores)
        {
            min = Math.Min(min, s);
            max = Math.Max(max, s);
        }

        if (max <= min)
        {
            // All scores equal: one unit-wide range centred on them.
            min -= 0.5;
            max += 0.5;
        }

        var width = (max - min) / bins;
        var correct = new double[bins];
        var failed = new double[bins];
        int correctCount = 0, failedCount = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var bin = Math.Min(bins - 1, (int)((scores[i] - min) / width));
            if (failures[i])
            {
                failed[bin]++;
                failedCount++;
            }
            else
            {
                correct[bin]++;
                correctCount++;
            }
        }

        Normalise(correct, correctCount);
        Normalise(failed, failedCount);
        var title = validated.Title ?? DefaultTitle;
        return ChartBuilder.Build(validated, title, scoreName, YLabel, Edge.Top, plot =>
        {
            AddGroup(plot, correct, min, width, ChartBuilder.Correct, string.Create(CultureInfo.InvariantCulture, $"Correct (n = {correctCount})"));
            AddGroup(plot, failed, min, width, ChartBuilder.Failed, string.Create(CultureInfo.InvariantCulture, $"Failed (n = {failedCount})"));
            plot.Axes.Margins(bottom: 0);
        });
    }

    /// <summary>Draws the two histograms from tensors.</summary>
    /// <param name="scores">Scores <c>(N)</c>, floating point, finite; higher means more uncertain.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1.</param>
    /// <param name="scoreName">The score's name, shown on the x axis.</param>
    /// <param name="bins">The number of equal-width bins, 2 to 1000.</param>
    /// <param name="options">Size and title; <see langword="null"/> for the defaults.</param>
    /// <returns>The chart; dispose it when done.</returns>
    /// <exception cref="ArgumentNullException">A tensor or <paramref name="scoreName"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or not of rank 1, the lengths differ, the scores hold NaN or ±∞, the labels are not binary, or <paramref name="options"/> is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [2, 1000].</exception>
    public static Chart Create(Tensor scores, Tensor failures, string scoreName = "Uncertainty score", int bins = 30, ChartOptions? options = null)
    {
        return Create(CaseData.Scores(scores, nameof(scores)), CaseData.Failures(failures, nameof(failures)), scoreName, bins, options);
    }

    private static void Normalise(double[] counts, int total)
    {
        if (total == 0)
        {
            return;
        }

        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] /= total;
        }
    }

    private static void AddGroup(Plot plot, double[] fractions, double min, double width, Color color, string legend)
    {
        var bars = new List<Bar>(fractions.Length);
        for (var i = 0; i < fractions.Length; i++)
        {
            bars.Add(new Bar
            {
                Position = min + ((i + 0.5) * width),
                Value = fractions[i],
                Size = width,
                FillColor = color.WithAlpha(0.45),
                LineColor = color,
                LineWidth = 1,
            });
        }

        var plottable = plot.Add.Bars(bars);
        plottable.LegendText = legend;
        plottable.Color = color.WithAlpha(0.45);
    }
}
