using System.Collections.Generic;
using System.Linq;
using ScottPlot;
using Uqlib.Evaluation;

namespace Uqlib.Plotting;

/// <summary>Risk–coverage curves of several uncertainty methods on one chart, each legend entry carrying its AURC.</summary>
/// <remarks>
/// Selective prediction (Geifman &amp; El-Yaniv 2017), as evaluated by Jaeger et al. 2023: keep the most confident cases, and
/// plot the failure rate among those kept against the fraction kept. Lower curves are better. The overall failure rate
/// (the risk at full coverage) is drawn as a dashed line. The legend sits below the x-axis label, one method per row,
/// outside the data area, so it never covers a curve.
/// </remarks>
public static class RiskCoverageChart
{
    /// <summary>The title used when <see cref="ChartOptions.Title"/> is not set.</summary>
    public const string DefaultTitle = "Risk–coverage curves";

    /// <summary>The x-axis label unless <see cref="ChartOptions.XLabel"/> is set.</summary>
    public const string XLabel = "Coverage (fraction of cases kept)";

    /// <summary>The y-axis label unless <see cref="ChartOptions.YLabel"/> is set.</summary>
    public const string YLabel = "Selective risk (failure rate among kept)";

    /// <summary>Draws one risk–coverage curve per method, in the order the map enumerates them.</summary>
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
            var first = results.Values.First();
            var overall = (double)first.Failures / first.Cases;
            plot.Add.HorizontalLine(overall, 1, Colors.Gray, LinePattern.Dashed);

            var top = overall;
            var index = 0;
            foreach (var (method, result) in results)
            {
                var coverages = result.RiskCoverage.Coverages.ToArray();
                var risks = result.RiskCoverage.Risks.ToArray();
                var curve = plot.Add.ScatterLine(coverages, risks, ChartBuilder.ColorOf(index));
                curve.LineWidth = 2;
                curve.LegendText = $"{method}: AURC {Formats.Number(result.Aurc)}";
                top = System.Math.Max(top, risks.Length == 0 ? 0 : risks.Max());
                index++;
            }

            plot.Axes.SetLimits(0, 1, 0, top <= 0 ? 1 : top * 1.05);
        });
    }
}
