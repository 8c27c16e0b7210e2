using System.Collections.Generic;
using System.Linq;
using ScottPlot;
using Uqlib.Evaluation;

namespace Uqlib.Plotting;

/// <summary>ROC curves of several uncertainty methods on one chart, each legend entry carrying its AUROC and DeLong interval.</summary>
/// <remarks>
/// Failures are the positive class (Uqlib's orientation): the x axis is the fraction of correct cases flagged, the y axis
/// the fraction of failures flagged. The chance diagonal is drawn dashed. Curves come from <see cref="RocEvaluator.Evaluate(System.ReadOnlySpan{double}, System.ReadOnlySpan{bool}, RocOptions?)"/>;
/// the interval is DeLong's (DeLong, DeLong &amp; Clarke-Pearson 1988). The legend sits below the x-axis label, one method per
/// row, outside the data area, so it never covers a curve. Out-of-distribution detection has its own overload, taking
/// <see cref="OodDetectionResult"/>s, whose axes say "OOD cases flagged" and "in-distribution cases flagged"; for any other positive
/// class set <see cref="ChartOptions.XLabel"/> and <see cref="ChartOptions.YLabel"/>.
/// </remarks>
public static class RocCurvesChart
{
    /// <summary>The title used when <see cref="ChartOptions.Title"/> is not set.</summary>
    public const string DefaultTitle = "ROC curves: failure detection";

    /// <summary>The x-axis label unless <see cref="ChartOptions.XLabel"/> is set.</summary>
    public const string XLabel = "False-positive rate (correct cases flagged)";

    /// <summary>The y-axis label unless <see cref="ChartOptions.YLabel"/> is set.</summary>
    public const string YLabel = "True-positive rate (failures flagged)";

    /// <summary>The title of an out-of-distribution ROC chart unless <see cref="ChartOptions.Title"/> is set.</summary>
    public const string OodTitle = "ROC curves: OOD detection";

    /// <summary>The x-axis label of an out-of-distribution ROC chart unless <see cref="ChartOptions.XLabel"/> is set.</summary>
    public const string OodXLabel = "False-positive rate (in-distribution cases flagged)";

    /// <summary>The y-axis label of an out-of-distribution ROC chart unless <see cref="ChartOptions.YLabel"/> is set.</summary>
    public const string OodYLabel = "True-positive rate (OOD cases flagged)";

    /// <summary>Draws one ROC curve per method, in the order the map enumerates them.</summary>
    /// <param name="results">Each method's evaluation, keyed by the method's name (shown in the legend).</param>
    /// <param name="options">Size, title and axis labels; <see langword="null"/> for the defaults.</param>
    /// <returns>The chart; dispose it when done.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="results"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.ArgumentException"><paramref name="results"/> is empty, has an unnamed method or a null result; or <paramref name="options"/> is invalid.</exception>
    public static Chart Create(IReadOnlyDictionary<string, FailureDetectionResult> results, ChartOptions? options = null)
    {
        ChartChecks.Results(results, nameof(results));
        return Draw(
            results.Select(r => (r.Value.Roc, $"{r.Key}: AUROC {Formats.WithCi(r.Value.Auroc, r.Value.AurocCi)}")),
            ChartBuilder.Validated(options),
            DefaultTitle,
            XLabel,
            YLabel);
    }

    /// <summary>
    /// Draws one out-of-distribution ROC curve per detector (or per detector and OOD set), OOD the positive class: the x axis is the share of
    /// in-distribution cases flagged, the y axis the share of OOD cases flagged; each legend entry carries the AUROC and its bootstrap interval.
    /// </summary>
    /// <param name="results">Each detector's evaluation from <see cref="OodEvaluator"/>, keyed by the name shown in the legend.</param>
    /// <param name="options">Size, title and axis labels (defaults <see cref="OodTitle"/>, <see cref="OodXLabel"/>, <see cref="OodYLabel"/>); <see langword="null"/> for the defaults.</param>
    /// <returns>The chart; dispose it when done.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="results"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.ArgumentException"><paramref name="results"/> is empty, has an unnamed detector or a null result; or <paramref name="options"/> is invalid.</exception>
    public static Chart Create(IReadOnlyDictionary<string, OodDetectionResult> results, ChartOptions? options = null)
    {
        ChartChecks.Results(results, nameof(results));
        return Draw(
            results.Select(r => (r.Value.Roc, $"{r.Key}: AUROC {Formats.WithCi(r.Value.Auroc, r.Value.AurocCi)}")),
            ChartBuilder.Validated(options),
            OodTitle,
            OodXLabel,
            OodYLabel);
    }

    /// <summary>Draws the ROC curve of one method.</summary>
    /// <param name="method">The method's name, shown in the legend.</param>
    /// <param name="result">The method's evaluation.</param>
    /// <param name="options">Size, title and axis labels; <see langword="null"/> for the defaults.</param>
    /// <returns>The chart; dispose it when done.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="method"/> or <paramref name="result"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.ArgumentException"><paramref name="method"/> is blank, or <paramref name="options"/> is invalid.</exception>
    public static Chart Create(string method, FailureDetectionResult result, ChartOptions? options = null)
    {
        Preconditions.NotNull(method, nameof(method));
        Preconditions.NotNull(result, nameof(result));
        return Create(new Dictionary<string, FailureDetectionResult> { [method] = result }, options);
    }

    private static Chart Draw(IEnumerable<(RocCurve Roc, string Legend)> curves, ChartOptions validated, string title, string xLabel, string yLabel)
    {
        return ChartBuilder.Build(validated, validated.Title ?? title, xLabel, yLabel, Edge.Bottom, plot =>
        {
            var chance = plot.Add.Line(0, 0, 1, 1);
            chance.Color = Colors.Gray;
            chance.LinePattern = LinePattern.Dashed;
            chance.LineWidth = 1;

            var index = 0;
            foreach (var (roc, legend) in curves)
            {
                var curve = plot.Add.ScatterLine(roc.FalsePositiveRates.ToArray(), roc.TruePositiveRates.ToArray(), ChartBuilder.ColorOf(index));
                curve.LineWidth = 2;
                curve.LegendText = legend;
                index++;
            }

            plot.Axes.SetLimits(0, 1, 0.0, 1.02);
        });
    }
}
