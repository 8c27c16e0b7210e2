using System;
using ScottPlot;

namespace Uqlib.Plotting;

/// <summary>What every chart shares: a plot with the embedded font, title, axis labels, fixed limits and palette.</summary>
internal static class ChartBuilder
{
    /// <summary>The colours of successive methods (Tableau 10, as Matplotlib's default cycle).</summary>
    private static readonly IPalette Palette = new ScottPlot.Palettes.Category10();

    /// <summary>The colour of cases the model got right.</summary>
    public static Color Correct { get; } = Color.FromHex("#1f77b4");

    /// <summary>The colour of cases the model got wrong.</summary>
    public static Color Failed { get; } = Color.FromHex("#d62728");

    public static Color ColorOf(int index) => Palette.GetColor(index);

    public static ChartOptions Validated(ChartOptions? options)
    {
        options ??= new ChartOptions();
        options.Validate();
        return options;
    }

    /// <summary>A plot with the embedded font and the given texts; an empty title or label is left out, not drawn blank.</summary>
    public static Plot Create(ChartOptions options, string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        try
        {
            if (title.Length > 0)
            {
                plot.Title(title);
            }

            plot.XLabel(xLabel);
            plot.YLabel(yLabel);
            ChartFont.Apply(plot, options.FontSize);
            return plot;
        }
        catch
        {
            plot.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Puts the legend in its own band outside the data area, so that it cannot cover anything drawn there: below the axis
    /// label with one entry per row, or above the data area with the entries in a row (wrapped where the row is too long).
    /// </summary>
    public static void LegendOutside(Plot plot, Edge edge, ChartOptions options)
    {
        var panel = plot.ShowLegend(edge);
        plot.Legend.Orientation = edge == Edge.Bottom ? Orientation.Vertical : Orientation.Horizontal;
        plot.Legend.TightHorizontalWrapping = true;
        plot.Legend.InterItemPadding = new PixelPadding(10, 20, 6, 6);
        plot.Legend.FontName = ChartFont.Family;
        plot.Legend.FontSize = (float)(options.FontSize * 0.85);
        panel.Padding = new PixelPadding(5, 5);
    }

    /// <summary>Builds a one-panel chart (axis labels from the options where set, the legend outside at <paramref name="legend"/>) or disposes the half-built plot.</summary>
    public static Chart Build(ChartOptions options, string title, string xLabel, string yLabel, Edge legend, Action<Plot> draw)
    {
        var plot = Create(options, title, options.XLabel ?? xLabel, options.YLabel ?? yLabel);
        try
        {
            draw(plot);
            LegendOutside(plot, legend, options);
            return new Chart([plot], [1.0], options, title);
        }
        catch
        {
            plot.Dispose();
            throw;
        }
    }
}
