using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ScottPlot;
using Uqlib.Calibration;

namespace Uqlib.Plotting;

/// <summary>A reliability diagram: accuracy per confidence bin against the diagonal of perfect calibration, the gap shaded, the confidence histogram below, the ECE in the title.</summary>
/// <remarks>
/// Guo et al. 2017 ("On calibration of modern neural networks"), after DeGroot &amp; Fienberg 1983. Bars below the diagonal
/// mean over-confidence. The bins come from <see cref="ReliabilityDiagram.Compute(System.ReadOnlySpan{double}, System.ReadOnlySpan{int}, int, BinningScheme)"/>;
/// equal-mass bins are drawn at their own widths and the title then names the adaptive ECE (Nixon et al. 2019).
/// </remarks>
public static class ReliabilityDiagramChart
{
    /// <summary>The x-axis label.</summary>
    public const string XLabel = "Confidence (top-label probability)";

    /// <summary>The y-axis label.</summary>
    public const string YLabel = "Accuracy";

    /// <summary>The legend entry of the accuracy bars.</summary>
    public const string AccuracyLegend = "Accuracy per bin";

    /// <summary>The legend entry of the gap shading.</summary>
    public const string GapLegend = "Gap (confidence − accuracy)";

    /// <summary>The legend entry of the confidence histogram.</summary>
    public const string HistogramLegend = "Samples per bin (fraction)";

    /// <summary>Draws the diagram.</summary>
    /// <param name="diagram">The binned confidences and accuracies.</param>
    /// <param name="options">Size and title; <see langword="null"/> for the defaults, whose title carries the ECE.</param>
    /// <returns>The chart; dispose it when done.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="diagram"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid.</exception>
    public static Chart Create(ReliabilityDiagram diagram, ChartOptions? options = null)
    {
        Preconditions.NotNull(diagram, nameof(diagram));
        var validated = ChartBuilder.Validated(options);
        var title = validated.Title ?? DefaultTitle(diagram);
        return ChartBuilder.Build(validated, title, XLabel, YLabel, legend: true, plot =>
        {
            var accuracy = new List<Bar>();
            var gaps = new List<Bar>();
            var histogram = new List<Bar>();
            foreach (var bin in diagram.Bins)
            {
                var width = Math.Max(bin.Upper - bin.Lower, 0.004);
                var centre = (bin.Lower + bin.Upper) / 2;
                if (bin.Count == 0)
                {
                    continue;
                }

                accuracy.Add(new Bar
                {
                    Position = centre,
                    Value = bin.Accuracy,
                    Size = width,
                    FillColor = ChartBuilder.Correct.WithAlpha(0.8),
                    LineColor = Colors.Black.WithAlpha(0.6),
                    LineWidth = 0.5f,
                });
                gaps.Add(new Bar
                {
                    Position = centre,
                    ValueBase = bin.Accuracy,
                    Value = bin.Confidence,
                    Size = width,
                    FillColor = ChartBuilder.Failed.WithAlpha(0.3),
                    LineColor = ChartBuilder.Failed.WithAlpha(0.8),
                    LineWidth = 0.5f,
                });
                histogram.Add(new Bar
                {
                    Position = centre,
                    Value = (double)bin.Count / diagram.SampleCount,
                    Size = width,
                    FillColor = Colors.Gray.WithAlpha(0.5),
                    LineColor = Colors.Gray,
                    LineWidth = 0.5f,
                });
            }

            var accuracyBars = plot.Add.Bars(accuracy);
            accuracyBars.LegendText = AccuracyLegend;
            accuracyBars.Color = ChartBuilder.Correct.WithAlpha(0.8);
            var gapBars = plot.Add.Bars(gaps);
            gapBars.LegendText = GapLegend;
            gapBars.Color = ChartBuilder.Failed.WithAlpha(0.3);
            var histogramBars = plot.Add.Bars(histogram);
            histogramBars.LegendText = HistogramLegend;
            histogramBars.Color = Colors.Gray.WithAlpha(0.5);
            histogramBars.Axes.YAxis = plot.Axes.Right;

            // The diagonal last, so it shows over the bars.
            var diagonal = plot.Add.Line(0, 0, 1, 1);
            diagonal.Color = Colors.Black.WithAlpha(0.7);
            diagonal.LinePattern = LinePattern.Dashed;
            diagonal.LineWidth = 1.5f;
            diagonal.LegendText = "Perfect calibration";

            plot.Axes.Right.Label.Text = "Fraction of samples";
            plot.Axes.Right.Label.FontName = ChartFont.Family;
            plot.Axes.Right.Label.FontSize = (float)validated.FontSize;
            plot.Axes.Right.TickLabelStyle.FontName = ChartFont.Family;
            plot.Axes.Right.TickLabelStyle.FontSize = (float)(validated.FontSize * 0.85);

            plot.Axes.SetLimits(0, 1, 0, 1.02);
            // The histogram occupies the lower quarter: its axis reaches four times the tallest bin.
            var tallest = histogram.Count == 0 ? 1 : histogram.Max(b => b.Value);
            plot.Axes.SetLimitsY(0, tallest * 4, plot.Axes.Right);
            plot.Legend.Alignment = Alignment.UpperLeft;
        });
    }

    /// <summary>The title used when <see cref="ChartOptions.Title"/> is not set: "Reliability diagram (ECE 0.042, 15 bins)".</summary>
    /// <param name="diagram">The diagram.</param>
    /// <returns>The title.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="diagram"/> is <see langword="null"/>.</exception>
    public static string DefaultTitle(ReliabilityDiagram diagram)
    {
        Preconditions.NotNull(diagram, nameof(diagram));
        var metric = diagram.Scheme == BinningScheme.EqualMass ? "adaptive ECE" : "ECE";
        return string.Create(CultureInfo.InvariantCulture,
            $"Reliability diagram ({metric} {diagram.Ece:0.000}, {diagram.Bins.Count} bins)");
    }
}
