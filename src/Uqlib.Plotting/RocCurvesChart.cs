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
/// row, outside the data area, so it never covers a curve. For a positive class other than failures (out-of-distribution
/// cases, say) set <see cref="ChartOptions.XLabel"/> and <see cref="ChartOptions.YLabel"/>.
/// </remarks>
public static class RocCurvesChart
{
    /// <summary>The title used when <see cref="ChartOptions.Title"/> is not set.</summary>
    public const string DefaultTitle = "ROC curves: failure detection";

    /// <summary>The x-axis label unless <see cref="ChartOptions.XLabel"/> is set.</summary>
    public const string XLabel = "False-positive rate (correct cases flagged)";

    /// <summary>The y-axis label unless <see cref="ChartOptions.YLabel"/> is set.</summary>
    public const string YLabel = "True-positive rate (failures flagged)";

    /// <summary>Draws one ROC curve per method, in the order the map enumerates them.</summary>
    /// <param name="results">Each method's evaluation, keyed by the method's name (shown in the legend).</param>
    /// <param name="options">Size, title and axis labels; <see langword="null"/> for the defaults.</param>
    /// <returns>The chart; dispose it when done.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="results"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.ArgumentException"><paramref name="results"/> is empty, has an unnamed method or a null result; or <paramref name="options"/> is invalid.</exception>
    public static Chart Create(IReadOnlyDictionary<string, FailureDetectionResult> results, ChartOptions? options = null)
    {
        ChartChecks.Results(results, nameof(results));
        var validated = ChartBuilder.Validated(options);
        var title = validated.Title ?? DefaultTitle;
        return ChartBuilder.Build(validated, title, XLabel, YLabel, Edge.Bottom, plot =>
        {
            var chance = plot.Add.Line(0, 0, 1, 1);
            chance.Color = Colors.Gray;
            chance.LinePattern = LinePattern.Dashed;
            chance.LineWidth = 1;

            var index = 0;
            foreach (var (method, result) in results)
            {
                var curve = plot.Add.ScatterLine(result.Roc.FalsePositiveRates.ToArray(), result.Roc.TruePositiveRates.ToArray(), ChartBuilder.ColorOf(index));
                curve.LineWidth = 2;
                curve.LegendText = $"{method}: AUROC {Formats.WithCi(result.Auroc, result.AurocCi)}";
                index++;
            }

            plot.Axes.SetLimits(0, 1, 0, 1.02);
        });
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
}
