using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;
using Uqlib.Evaluation;
using static TorchSharp.torch;

namespace Uqlib.Plotting;

/// <summary>The spread of an ensemble's members (or of test-time augmentations) case by case: every member's value, their range and their mean.</summary>
/// <remarks>
/// Where members disagree, the vertical range is long: the picture behind the mutual information of an ensemble
/// (Lakshminarayanan et al. 2017) or the variance over augmentations (Wang et al. 2019). Cases are drawn in the order
/// given; when failure labels are given, failed cases are drawn in red.
/// </remarks>
public static class SpreadChart
{
    /// <summary>The most cases one chart draws.</summary>
    public const int MaxCases = 500;

    /// <summary>The title used when <see cref="ChartOptions.Title"/> is not set.</summary>
    public const string DefaultTitle = "Spread over members per case";

    /// <summary>The x-axis label.</summary>
    public const string XLabel = "Case";

    /// <summary>Draws the spread of member values per case.</summary>
    /// <param name="memberValues">Values <c>(M, N)</c>: M members (models or augmentations, M ≥ 1) by N cases (1 to <see cref="MaxCases"/>), floating point, finite; for example each member's probability of the ensemble's predicted class.</param>
    /// <param name="failures">Optional failure labels <c>(N)</c> (booleans or 0/1) to colour failed cases; <see langword="null"/> to draw every case alike.</param>
    /// <param name="valueName">What the values are, shown on the y axis.</param>
    /// <param name="options">Size and title; <see langword="null"/> for the defaults.</param>
    /// <returns>The chart; dispose it when done.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="memberValues"/> or <paramref name="valueName"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="memberValues"/> is not of rank 2, is empty, has more than <see cref="MaxCases"/> cases or holds NaN or ±∞; <paramref name="failures"/> is not of rank 1, not binary or of another length; or <paramref name="options"/> is invalid.</exception>
    public static Chart Create(Tensor memberValues, Tensor? failures = null, string valueName = "Probability of the predicted class", ChartOptions? options = null)
    {
        Preconditions.Tensor(memberValues, nameof(memberValues), 2, 2);
        Preconditions.NotNull(valueName, nameof(valueName));
        Preconditions.Finite(memberValues, nameof(memberValues));
        var members = (int)memberValues.shape[0];
        var cases = (int)memberValues.shape[1];
        if (cases == 0 || cases > MaxCases)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"memberValues must have 1 to {MaxCases} cases (dimension 1); found shape {Preconditions.ShapeText(memberValues)}. Select the cases to draw first."),
                nameof(memberValues));
        }

        bool[]? failed = null;
        if (failures is not null)
        {
            failed = CaseData.Failures(failures, nameof(failures));
            if (failed.Length != cases)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"failures has {failed.Length} cases but memberValues has {cases} (dimension 1); they must match."),
                    nameof(failures));
            }
        }

        double[] values;
        using (NewDisposeScope())
        {
            values = memberValues.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
        }

        return Draw(values, members, cases, failed, valueName, options);
    }

    /// <summary>Draws the spread of member values per case, from managed arrays (no libtorch needed).</summary>
    /// <param name="memberValues">Values <c>[M, N]</c>: M members (M ≥ 1) by N cases (1 to <see cref="MaxCases"/>), finite.</param>
    /// <param name="failures">Optional failure labels, one per case, to colour failed cases; <see langword="null"/> to draw every case alike.</param>
    /// <param name="valueName">What the values are, shown on the y axis.</param>
    /// <param name="options">Size and title; <see langword="null"/> for the defaults.</param>
    /// <returns>The chart; dispose it when done.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="memberValues"/> or <paramref name="valueName"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="memberValues"/> is empty, has more than <see cref="MaxCases"/> cases or holds NaN or ±∞; <paramref name="failures"/> has another length; or <paramref name="options"/> is invalid.</exception>
    public static Chart Create(double[,] memberValues, bool[]? failures = null, string valueName = "Probability of the predicted class", ChartOptions? options = null)
    {
        Preconditions.NotNull(memberValues, nameof(memberValues));
        Preconditions.NotNull(valueName, nameof(valueName));
        var members = memberValues.GetLength(0);
        var cases = memberValues.GetLength(1);
        if (members == 0 || cases == 0 || cases > MaxCases)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"memberValues must have at least 1 member and 1 to {MaxCases} cases; found [{members}, {cases}]. Select the cases to draw first."),
                nameof(memberValues));
        }

        var values = new double[members * cases];
        for (var m = 0; m < members; m++)
        {
            for (var c = 0; c < cases; c++)
            {
                values[(m * cases) + c] = memberValues[m, c];
            }
        }

        Preconditions.Finite(values, nameof(memberValues));
        if (failures is not null && failures.Length != cases)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"failures has {failures.Length} cases but memberValues has {cases} (dimension 1); they must match."),
                nameof(failures));
        }

        return Draw(values, members, cases, failures, valueName, options);
    }

    private static Chart Draw(double[] values, int members, int cases, bool[]? failed, string valueName, ChartOptions? options)
    {
        var validated = ChartBuilder.Validated(options);
        var title = validated.Title ?? DefaultTitle;
        return ChartBuilder.Build(validated, title, XLabel, valueName, Edge.Top, plot =>
        {
            var groups = failed is null ? 1 : 2;
            for (var group = 0; group < groups; group++)
            {
                var isFailed = group == 1;
                var color = isFailed ? ChartBuilder.Failed : ChartBuilder.Correct;
                var memberXs = new List<double>();
                var memberYs = new List<double>();
                var meanXs = new List<double>();
                var meanYs = new List<double>();
                for (var c = 0; c < cases; c++)
                {
                    if (failed is not null && failed[c] != isFailed)
                    {
                        continue;
                    }

                    double sum = 0, low = double.PositiveInfinity, high = double.NegativeInfinity;
                    for (var m = 0; m < members; m++)
                    {
                        var v = values[(m * cases) + c];
                        memberXs.Add(c);
                        memberYs.Add(v);
                        sum += v;
                        low = Math.Min(low, v);
                        high = Math.Max(high, v);
                    }

                    var range = plot.Add.Line(c, low, c, high);
                    range.Color = color.WithAlpha(0.6);
                    range.LineWidth = 1.5f;
                    meanXs.Add(c);
                    meanYs.Add(sum / members);
                }

                if (meanXs.Count == 0)
                {
                    continue;
                }

                var label = failed is null ? string.Empty : isFailed ? "Failed: " : "Correct: ";
                var dots = plot.Add.Markers(memberXs.ToArray(), memberYs.ToArray(), MarkerShape.OpenCircle, 4, color.WithAlpha(0.7));
                dots.LegendText = string.Create(CultureInfo.InvariantCulture, $"{label}each of {members} members");
                var means = plot.Add.Markers(meanXs.ToArray(), meanYs.ToArray(), MarkerShape.FilledDiamond, 7, color);
                means.LegendText = $"{label}mean";
            }

            // A 5% margin around the data (the legend sits above the data area, not in it).
            double dataLow = double.PositiveInfinity, dataHigh = double.NegativeInfinity;
            foreach (var v in values)
            {
                dataLow = Math.Min(dataLow, v);
                dataHigh = Math.Max(dataHigh, v);
            }

            var extent = dataHigh > dataLow ? dataHigh - dataLow : 1;
            plot.Axes.SetLimits(-1, cases, dataLow - (0.05 * extent), dataHigh + (0.05 * extent));
        });
    }
}
