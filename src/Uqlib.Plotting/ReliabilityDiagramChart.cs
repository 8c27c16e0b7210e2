using System;
using System.Collections.Generic;
using System.Globalization;
using ScottPlot;
using Uqlib.Calibration;

namespace Uqlib.Plotting;

/// <summary>A reliability diagram: accuracy per confidence bin against the diagonal of perfect calibration with the gap shaded, the confidence histogram in its own panel below, the ECE in the title.</summary>
/// <remarks>
/// Drawn as Guo et al. 2017 ("On calibration of modern neural networks", figure 1) and netcal draw it, after DeGroot &amp;
/// Fienberg 1983. The upper panel (70% of the height) shows one bar per non-empty bin reaching the bin's accuracy, and the
/// gap between the accuracy and the bin's mean confidence shaded in one colour: above a bar it means over-confidence, over a
/// bar's top under-confidence. The lower panel shows the share of samples in each bin (0 to the largest share), on the same
/// confidence axis. The legend sits above the upper panel's data area, so it covers no bar. The bins come from
/// <see cref="ReliabilityDiagram.Compute(System.ReadOnlySpan{double}, System.ReadOnlySpan{int}, int, BinningScheme)"/>;
/// equal-mass bins are drawn at their own widths and the title then names the adaptive ECE (Nixon et al. 2019).
/// </remarks>
public static class ReliabilityDiagramChart
{
    /// <summary>The x-axis label (under the lower panel) unless <see cref="ChartOptions.XLabel"/> is set.</summary>
    public const string XLabel = "Confidence (top-label probability)";

    /// <summary>The upper panel's y-axis label unless <see cref="ChartOptions.YLabel"/> is set.</summary>
    public const string YLabel = "Accuracy";

    /// <summary>The lower panel's y-axis label: the share of all samples that fall in each bin.</summary>
    public const string HistogramLabel = "Share of samples";

    /// <summary>The legend entry of the accuracy bars.</summary>
    public const string AccuracyLegend = "Accuracy per bin";

    /// <summary>The legend entry of the gap shading.</summary>
    public const string GapLegend = "Gap (confidence − accuracy)";

    /// <summary>The legend entry of the diagonal.</summary>
    public const string DiagonalLegend = "Perfect calibration";

    /// <summary>The upper panel's share of the image height.</summary>
    private const double UpperShare = 0.7;

    private static readonly Color Gap = Color.FromHex("#f4a3a3");

    /// <summary>Draws the diagram.</summary>
    /// <param name="diagram">The binned confidences and accuracies.</param>
    /// <param name="options">Size, title and axis labels; <see langword="null"/> for the defaults, whose title carries the ECE.</param>
    /// <returns>The chart; dispose it when done.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="diagram"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid.</exception>
    public static Chart Create(ReliabilityDiagram diagram, ChartOptions? options = null)
    {
        Preconditions.NotNull(diagram, nameof(diagram));
        var validated = ChartBuilder.Validated(options);
        var title = validated.Title ?? DefaultTitle(diagram);
        Plot? upper = null;
        Plot? lower = null;
        try
        {
            upper = ChartBuilder.Create(validated, title, string.Empty, validated.YLabel ?? YLabel);
            lower = ChartBuilder.Create(validated, string.Empty, validated.XLabel ?? XLabel, HistogramLabel);
            DrawUpper(upper, diagram, validated);
            DrawLower(lower, diagram);

            // The same left and right margins in both panels, so that their confidence axes line up.
            var margin = (float)(4.2 * validated.FontSize);
            foreach (var plot in new[] { upper, lower })
            {
                plot.Axes.Left.MinimumSize = margin;
                plot.Axes.Left.MaximumSize = margin;
                plot.Axes.Right.MinimumSize = margin / 3;
                plot.Axes.Right.MaximumSize = margin / 3;
            }

            var chart = new Chart([upper, lower], [UpperShare, 1 - UpperShare], validated, title);
            upper = null;
            lower = null;
            return chart;
        }
        finally
        {
            upper?.Dispose();
            lower?.Dispose();
        }
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

    private static void DrawUpper(Plot plot, ReliabilityDiagram diagram, ChartOptions options)
    {
        var accuracy = new List<Bar>();
        var gaps = new List<Bar>();
        foreach (var bin in diagram.Bins)
        {
            if (bin.Count == 0)
            {
                continue;
            }

            var (centre, width) = Span(bin);
            accuracy.Add(new Bar
            {
                Position = centre,
                Value = bin.Accuracy,
                Size = width,
                FillColor = ChartBuilder.Correct,
                LineColor = Colors.Black.WithAlpha(0.6),
                LineWidth = 0.5f,
            });
            gaps.Add(new Bar
            {
                Position = centre,
                ValueBase = bin.Accuracy,
                Value = bin.Confidence,
                Size = width,
                FillColor = Gap,
                LineColor = ChartBuilder.Failed,
                LineWidth = 0.5f,
            });
        }

        var accuracyBars = plot.Add.Bars(accuracy);
        accuracyBars.LegendText = AccuracyLegend;
        accuracyBars.Color = ChartBuilder.Correct;

        // Opaque and drawn over the accuracy bars: a gap shows in its one legend colour whichever side of the bar it lies.
        var gapBars = plot.Add.Bars(gaps);
        gapBars.LegendText = GapLegend;
        gapBars.Color = Gap;

        // The diagonal last, so it shows over the bars.
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.Color = Colors.Black.WithAlpha(0.7);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LineWidth = 1.5f;
        diagonal.LegendText = DiagonalLegend;

        plot.Axes.SetLimits(0, 1, 0, 1.02);
        ChartBuilder.LegendOutside(plot, Edge.Top, options);
    }

    private static void DrawLower(Plot plot, ReliabilityDiagram diagram)
    {
        var shares = new List<Bar>();
        var largest = 0.0;
        foreach (var bin in diagram.Bins)
        {
            if (bin.Count == 0)
            {
                continue;
            }

            var (centre, width) = Span(bin);
            var share = (double)bin.Count / diagram.SampleCount;
            largest = Math.Max(largest, share);
            shares.Add(new Bar
            {
                Position = centre,
                Value = share,
                Size = width,
                FillColor = Colors.Gray,
                LineColor = Colors.Black.WithAlpha(0.6),
                LineWidth = 0.5f,
            });
        }

        var bars = plot.Add.Bars(shares);
        bars.Color = Colors.Gray;
        plot.Axes.SetLimits(0, 1, 0, largest <= 0 ? 1 : largest * 1.08);
    }

    /// <summary>The centre and drawn width of a bin (a sliver for a zero-width equal-mass bin, so it stays visible).</summary>
    private static (double Centre, double Width) Span(ReliabilityBin bin) =>
        ((bin.Lower + bin.Upper) / 2, Math.Max(bin.Upper - bin.Lower, 0.004));
}
