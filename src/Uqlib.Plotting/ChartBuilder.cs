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

    public static Plot Create(ChartOptions options, string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        try
        {
            plot.Title(title);
            plot.XLabel(xLabel);
            plot.YLabel(yLabel);
            plot.Legend.Alignment = Alignment.LowerRight;
            ChartFont.Apply(plot, options.FontSize);
            return plot;
        }
        catch
        {
            plot.Dispose();
            throw;
        }
    }

    public static Chart Finish(Plot plot, ChartOptions options, string title, bool legend)
    {
        if (legend)
        {
            plot.ShowLegend();
            plot.Legend.FontName = ChartFont.Family;
            plot.Legend.FontSize = (float)(options.FontSize * 0.85);
        }

        return new Chart(plot, options, title);
    }

    /// <summary>Builds the chart or disposes the half-built plot.</summary>
    public static Chart Build(ChartOptions options, string title, string xLabel, string yLabel, bool legend, Action<Plot> draw)
    {
        var plot = Create(options, title, xLabel, yLabel);
        try
        {
            draw(plot);
            return Finish(plot, options, title, legend);
        }
        catch
        {
            plot.Dispose();
            throw;
        }
    }
}
