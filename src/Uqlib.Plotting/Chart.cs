using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using ScottPlot;

namespace Uqlib.Plotting;

/// <summary>A finished chart that renders to PNG or SVG at the size of its <see cref="ChartOptions"/>.</summary>
/// <remarks>
/// Made by the chart factories (<see cref="RocCurvesChart"/>, <see cref="RiskCoverageChart"/>, <see cref="ScoreHistogramChart"/>,
/// <see cref="SpreadChart"/>, <see cref="ReliabilityDiagramChart"/>). Rendering is deterministic: the same data and options give
/// the same bytes on the same machine, because every text uses the embedded DejaVu Sans font. Not thread-safe: render one
/// chart from one thread at a time. Dispose it to release the native drawing resources.
/// </remarks>
public sealed partial class Chart : IDisposable
{
    private readonly Plot plot;
    private readonly ChartOptions options;
    private readonly string title;
    private bool disposed;

    internal Chart(Plot plot, ChartOptions options, string title)
    {
        this.plot = plot;
        this.options = options;
        this.title = title;
    }

    /// <summary>Gets the options the chart was made with (its size among them).</summary>
    /// <exception cref="ObjectDisposedException">The chart has been disposed.</exception>
    public ChartOptions Options
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return options;
        }
    }

    /// <summary>Gets the title drawn above the chart.</summary>
    /// <exception cref="ObjectDisposedException">The chart has been disposed.</exception>
    public string Title
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return title;
        }
    }

    /// <summary>Gets the underlying ScottPlot plot, for styling beyond what <see cref="ChartOptions"/> offers.</summary>
    /// <value>The ScottPlot 5 plot; changes to it show in later renderings.</value>
    /// <exception cref="ObjectDisposedException">The chart has been disposed.</exception>
    public Plot Plot
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return plot;
        }
    }

    /// <summary>Renders the chart as an SVG document.</summary>
    /// <returns>The SVG text; its text elements carry the title, axis labels and legend entries as text.</returns>
    /// <exception cref="ObjectDisposedException">The chart has been disposed.</exception>
    public string ToSvg()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return StableIds(plot.GetSvgXml(options.Width, options.Height));
    }

    /// <summary>Renders the chart as a PNG image.</summary>
    /// <returns>The PNG file's bytes.</returns>
    /// <exception cref="ObjectDisposedException">The chart has been disposed.</exception>
    public byte[] ToPng()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return plot.GetImageBytes(options.Width, options.Height, ImageFormat.Png);
    }

    /// <summary>Writes the chart to a file, as SVG when the path ends in <c>.svg</c> and as PNG when it ends in <c>.png</c>.</summary>
    /// <param name="path">The file to write (overwritten); its folder must exist.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> ends in neither <c>.png</c> nor <c>.svg</c>.</exception>
    /// <exception cref="ObjectDisposedException">The chart has been disposed.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(path);
        var extension = Path.GetExtension(path);
        if (string.Equals(extension, ".svg", StringComparison.OrdinalIgnoreCase))
        {
            File.WriteAllText(path, ToSvg(), new UTF8Encoding(false));
        }
        else if (string.Equals(extension, ".png", StringComparison.OrdinalIgnoreCase))
        {
            File.WriteAllBytes(path, ToPng());
        }
        else
        {
            throw new ArgumentException($"path must end in .png or .svg; found '{path}'.", nameof(path));
        }
    }

    /// <summary>Renumbers the ids Skia gives clip paths and other resources from a process-wide counter, in order of first appearance, so the same chart always gives the same SVG text.</summary>
    internal static string StableIds(string svg)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        return ResourceId().Replace(svg, match =>
        {
            var id = match.Groups["id"].Value;
            if (!names.TryGetValue(id, out var stable))
            {
                stable = string.Create(CultureInfo.InvariantCulture, $"{match.Groups["kind"].Value}_{names.Count}");
                names.Add(id, stable);
            }

            return match.Groups["before"].Value + stable;
        });
    }

    /// <summary>Releases the plot's native drawing resources; later calls do nothing.</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            plot.Dispose();
            disposed = true;
        }
    }

    [GeneratedRegex("(?<before>id=\"|url\\(#|href=\"#)(?<id>(?<kind>[A-Za-z]+)_[0-9a-fA-F]+)")]
    private static partial Regex ResourceId();
}
