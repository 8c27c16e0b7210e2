using System;
using System.Collections.Generic;
using System.Linq;
using ScottPlot;
using Uqlib.Conformal;

namespace Uqlib.Plotting;

/// <summary>Coverage plot of conformal prediction sets: empirical coverage against the nominal coverage 1 − α, one curve per method.</summary>
/// <remarks>
/// Split conformal sets cover at least 1 − α of exchangeable test cases (and below 1 − α + 1/(n + 1) without ties; Angelopoulos &amp;
/// Bates 2021), so a valid method's curve lies on or just above the dashed diagonal; a curve below it under-covers (for example
/// under distribution shift). The legend gives each method's mean set size at the largest nominal coverage drawn.
/// </remarks>
public static class ConformalCoverageChart
{
    /// <summary>The title used when <see cref="ChartOptions.Title"/> is not set.</summary>
    public const string DefaultTitle = "Conformal coverage";

    /// <summary>The x-axis label.</summary>
    public const string XLabel = "Nominal coverage 1 − α";

    /// <summary>The y-axis label.</summary>
    public const string YLabel = "Empirical coverage";

    /// <summary>Draws one coverage curve per method, in the order the map enumerates them.</summary>
    /// <param name="curves">Each method's points (from <see cref="ConformalClassifier.CoverageCurve"/>), keyed by the method's name (shown in the legend).</param>
    /// <param name="options">Size and title; <see langword="null"/> for the defaults.</param>
    /// <returns>The chart; dispose it when done.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="curves"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="curves"/> is empty, has an unnamed method, a null or empty curve; or <paramref name="options"/> is invalid.</exception>
    public static Chart Create(IReadOnlyDictionary<string, IReadOnlyList<CoveragePoint>> curves, ChartOptions? options = null)
    {
        Preconditions.NotNull(curves, nameof(curves));
        if (curves.Count == 0)
        {
            throw new ArgumentException("curves must hold at least one method; found none.", nameof(curves));
        }

        foreach (var (method, points) in curves)
        {
            if (string.IsNullOrWhiteSpace(method) || points is null || points.Count == 0)
            {
                throw new ArgumentException($"curves has a method without a name or without points ('{method}'); every method needs a name and at least one point.", nameof(curves));
            }
        }

        var validated = ChartBuilder.Validated(options);
        return ChartBuilder.Build(validated, validated.Title ?? DefaultTitle, XLabel, YLabel, Edge.Bottom, plot =>
        {
            var low = curves.Values.SelectMany(p => p).Min(p => Math.Min(1 - p.Alpha, p.Coverage));
            var bottom = Math.Max(0, Math.Floor(low * 20) / 20);
            var diagonal = plot.Add.Line(bottom, bottom, 1, 1);
            diagonal.Color = Colors.Gray;
            diagonal.LinePattern = LinePattern.Dashed;
            var index = 0;
            foreach (var (method, points) in curves)
            {
                var ordered = points.OrderByDescending(p => p.Alpha).ToArray();
                var curve = plot.Add.ScatterLine(ordered.Select(p => 1 - p.Alpha).ToArray(), ordered.Select(p => p.Coverage).ToArray(), ChartBuilder.ColorOf(index));
                curve.LineWidth = 2;
                curve.MarkerSize = 6;
                var last = ordered[^1];
                curve.LegendText = $"{method}: mean size {Formats.Number(last.MeanSize)} at 1 − α = {Formats.Number(1 - last.Alpha)}";
                index++;
            }

            plot.Axes.SetLimits(bottom, 1, bottom, 1);
        });
    }
}
