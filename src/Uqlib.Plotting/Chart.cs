using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using ScottPlot;
using SkiaSharp;

namespace Uqlib.Plotting;

/// <summary>A finished chart that renders to PNG or SVG at the size of its <see cref="ChartOptions"/>.</summary>
/// <remarks>
/// Made by the chart factories (<see cref="RocCurvesChart"/>, <see cref="RiskCoverageChart"/>, <see cref="ScoreHistogramChart"/>,
/// <see cref="SpreadChart"/>, <see cref="ReliabilityDiagramChart"/>). A chart is one or more panels stacked top to bottom in
/// one image (the reliability diagram has two). Rendering is deterministic: the same data and options give the same bytes on
/// the same machine, because every text uses the embedded DejaVu Sans font. The drawing library (ScottPlot 5) stays an
/// implementation detail: a chart offers its rendered bytes, not the library's plot objects, so that upgrading the library
/// cannot break callers. Not thread-safe: render one chart from one thread at a time. Dispose it to release the native
/// drawing resources.
/// </remarks>
public sealed partial class Chart : IDisposable
{
    private readonly Plot[] panels;
    private readonly double[] heights;
    private readonly ChartOptions options;
    private readonly string title;
    private bool disposed;

    /// <summary>Takes ownership of the panels, stacked top to bottom; <paramref name="heights"/> are their shares of the image height (summing to 1).</summary>
    internal Chart(Plot[] panels, double[] heights, ChartOptions options, string title)
    {
        this.panels = panels;
        this.heights = heights;
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

    /// <summary>Gets the panels, top to bottom (for tests of what was drawn).</summary>
    internal IReadOnlyList<Plot> Panels
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return panels;
        }
    }

    /// <summary>Renders the chart as an SVG document.</summary>
    /// <returns>The SVG text; its text elements carry the title, axis labels and legend entries as text.</returns>
    /// <exception cref="ObjectDisposedException">The chart has been disposed.</exception>
    public string ToSvg()
    {
        ObjectDisposedException.ThrowIf(disposed, this);

        using (var layout = CreateSurface())
        {
            Render(layout.Canvas);
        }

        using var stream = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, Options.Width, Options.Height), stream))
        {
            Render(canvas);
        }

        return StableIds(Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>Renders the chart as a PNG image.</summary>
    /// <returns>The PNG file's bytes.</returns>
    /// <exception cref="ObjectDisposedException">The chart has been disposed.</exception>
    public byte[] ToPng()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var surface = CreateSurface();
        Render(surface.Canvas);
        Render(surface.Canvas);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
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

    private SKSurface CreateSurface() =>
        SKSurface.Create(new SKImageInfo(Options.Width, Options.Height, SKColorType.Rgba8888, SKAlphaType.Premul))
        ?? throw new InvalidOperationException($"Cannot create a {Options.Width}×{Options.Height} drawing surface.");

    /// <summary>Draws every panel into its horizontal band of the canvas, on a white background.</summary>
    /// <remarks>
    /// A plot's first drawing sizes an outside legend from a measurement that the drawing itself then refines, so ToPng and
    /// ToSvg draw once on a raster canvas before the drawing they keep: a chart's first and later renderings are the same bytes.
    /// </remarks>
    private void Render(SKCanvas canvas)
    {
        canvas.Clear(SKColors.White);
        var top = 0f;
        for (var i = 0; i < panels.Length; i++)
        {
            var bottom = i == panels.Length - 1 ? Options.Height : MathF.Round(top + (float)(heights[i] * Options.Height));
            panels[i].RenderManager.ClearCanvasBeforeEachRender = false;
            panels[i].Render(canvas, new PixelRect(0, Options.Width, bottom, top));
            top = bottom;
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

    /// <summary>Releases the panels' native drawing resources; later calls do nothing.</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            foreach (var panel in panels)
            {
                panel.Dispose();
            }

            disposed = true;
        }
    }

    [GeneratedRegex("(?<before>id=\"|url\\(#|href=\"#)(?<id>(?<kind>[A-Za-z]+)_[0-9a-fA-F]+)")]
    private static partial Regex ResourceId();
}
