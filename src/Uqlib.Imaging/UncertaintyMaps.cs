using System;
using System.Globalization;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Imaging;

/// <summary>Saves per-pixel uncertainty maps as colour-mapped PNG images, alone or over the input image, with a labelled colour bar.</summary>
/// <remarks>
/// The picture is the map's own size, one pixel per map value, row 0 at the top; the colour bar (when drawn) is a panel to its right
/// whose top row has the colour of <see cref="HeatMapOptions.Maximum"/> and bottom row the colour of <see cref="HeatMapOptions.Minimum"/>,
/// labelled with the largest, middle and smallest value. The output is deterministic. Thread-safe.
/// </remarks>
public static class UncertaintyMaps
{
    private const int BarGap = 4;
    private const int BarWidth = 12;
    private const int LabelGap = 3;
    private static readonly (byte R, byte G, byte B) Ink = (0, 0, 0);

    /// <summary>Saves a map as a colour-mapped PNG file.</summary>
    /// <param name="map">The map, of shape (H, W), (1, H, W) or (1, 1, H, W), floating point, finite.</param>
    /// <param name="path">The PNG file to write (replaced if it exists).</param>
    /// <param name="options">How to draw it, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="map"/> or <paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="map"/> has another shape, is not floating point, or holds NaN or infinite values; or <paramref name="options"/> is invalid.</exception>
    public static void SaveColorMapped(Tensor map, string path, HeatMapOptions? options = null)
    {
        Preconditions.NotNull(path, nameof(path));
        var canvas = RenderColorMapped(map, options);
        using var file = File.Create(path);
        canvas.SavePng(file);
    }

    /// <summary>Writes a map as a colour-mapped PNG image to a stream.</summary>
    /// <param name="map">The map, of shape (H, W), (1, H, W) or (1, 1, H, W), floating point, finite.</param>
    /// <param name="stream">The stream the PNG is written to; not disposed.</param>
    /// <param name="options">How to draw it, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="map"/> or <paramref name="stream"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="map"/> has another shape, is not floating point, or holds NaN or infinite values; or <paramref name="options"/> is invalid.</exception>
    public static void SaveColorMapped(Tensor map, Stream stream, HeatMapOptions? options = null)
    {
        Preconditions.NotNull(stream, nameof(stream));
        RenderColorMapped(map, options).SavePng(stream);
    }

    /// <summary>Saves a map over its input image as a PNG file: the image in grayscale, the heat map over it with <see cref="HeatMapOptions.Opacity"/>.</summary>
    /// <param name="image">The input image, of shape (H, W), (C, H, W) or (1, C, H, W) with C = 1 or 3, floating point, finite; it is min–max scaled for display, so normalised inputs are fine.</param>
    /// <param name="map">The map, of shape (H, W), (1, H, W) or (1, 1, H, W), the same height and width as the image.</param>
    /// <param name="path">The PNG file to write (replaced if it exists).</param>
    /// <param name="options">How to draw it, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="image"/>, <paramref name="map"/> or <paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor has another shape, is not floating point or holds NaN or infinite values; their heights and widths differ; or <paramref name="options"/> is invalid.</exception>
    public static void SaveOverlay(Tensor image, Tensor map, string path, HeatMapOptions? options = null)
    {
        Preconditions.NotNull(path, nameof(path));
        var canvas = RenderOverlay(image, map, options);
        using var file = File.Create(path);
        canvas.SavePng(file);
    }

    /// <summary>Writes a map over its input image as a PNG image to a stream.</summary>
    /// <param name="image">The input image, of shape (H, W), (C, H, W) or (1, C, H, W) with C = 1 or 3, floating point, finite.</param>
    /// <param name="map">The map, of shape (H, W), (1, H, W) or (1, 1, H, W), the same height and width as the image.</param>
    /// <param name="stream">The stream the PNG is written to; not disposed.</param>
    /// <param name="options">How to draw it, or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="image"/>, <paramref name="map"/> or <paramref name="stream"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor has another shape, is not floating point or holds NaN or infinite values; their heights and widths differ; or <paramref name="options"/> is invalid.</exception>
    public static void SaveOverlay(Tensor image, Tensor map, Stream stream, HeatMapOptions? options = null)
    {
        Preconditions.NotNull(stream, nameof(stream));
        RenderOverlay(image, map, options).SavePng(stream);
    }

    private static RgbCanvas RenderColorMapped(Tensor map, HeatMapOptions? options)
    {
        options = Checked(options);
        var (values, height, width) = Plane(map, nameof(map));
        var (low, high) = Range(values, options);
        var canvas = new RgbCanvas(width + PanelWidth(low, high, height, options), height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                canvas.Set(x, y, ColorMaps.Lookup(options.ColorMap, Fraction(values[(y * width) + x], low, high)));
            }
        }

        DrawColorBar(canvas, width, low, high, options);
        return canvas;
    }

    private static RgbCanvas RenderOverlay(Tensor image, Tensor map, HeatMapOptions? options)
    {
        Preconditions.NotNull(image, nameof(image));
        options = Checked(options);
        var (values, height, width) = Plane(map, nameof(map));
        var gray = Grayscale(image, height, width);
        var (low, high) = Range(values, options);
        var canvas = new RgbCanvas(width + PanelWidth(low, high, height, options), height);
        var opacity = options.Opacity;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var at = (y * width) + x;
                var heat = ColorMaps.Lookup(options.ColorMap, Fraction(values[at], low, high));
                var background = (1 - opacity) * 255 * gray[at];
                canvas.Set(x, y, (Blend(background, heat.R, opacity), Blend(background, heat.G, opacity), Blend(background, heat.B, opacity)));
            }
        }

        DrawColorBar(canvas, width, low, high, options);
        return canvas;
    }

    private static byte Blend(double background, byte heat, double opacity) =>
        (byte)Math.Clamp(Math.Round(background + (opacity * heat)), 0, 255);

    private static double Fraction(double value, double low, double high) =>
        high > low ? Math.Clamp((value - low) / (high - low), 0, 1) : 0;

    /// <summary>Reads a (H, W) plane, allowing leading dimensions of size 1, as doubles in row-major order.</summary>
    private static (double[] Values, int Height, int Width) Plane(Tensor map, string name)
    {
        Preconditions.Tensor(map, name, 2, 4);
        for (var d = 0; d < map.dim() - 2; d++)
        {
            if (map.shape[d] != 1)
            {
                throw new ArgumentException(
                    $"{name} must have shape (H, W), (1, H, W) or (1, 1, H, W); found shape {Preconditions.ShapeText(map)}.", name);
            }
        }

        var height = (int)map.shape[^2];
        var width = (int)map.shape[^1];
        if (width == 0)
        {
            throw new ArgumentException($"{name} is empty: found shape {Preconditions.ShapeText(map)}.", name);
        }

        Preconditions.Finite(map, name);
        using var scope = torch.NewDisposeScope();
        var cpu = map.detach().to(ScalarType.Float64).cpu().contiguous();
        return (cpu.data<double>().ToArray(), height, width);
    }

    /// <summary>Reads the image as luminance in [0, 1], min–max scaled (a constant image is black).</summary>
    private static double[] Grayscale(Tensor image, int height, int width)
    {
        Preconditions.Tensor(image, nameof(image), 2, 4);
        var rank = (int)image.dim();
        var channels = rank == 2 ? 1 : image.shape[^3];
        if ((rank == 4 && image.shape[0] != 1) || channels is not (1 or 3))
        {
            throw new ArgumentException(
                $"image must have shape (H, W), (C, H, W) or (1, C, H, W) with C = 1 or 3; found shape {Preconditions.ShapeText(image)}.", nameof(image));
        }

        if (image.shape[^2] != height || image.shape[^1] != width)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"image is {image.shape[^2]} × {image.shape[^1]} (H × W) but map is {height} × {width}; they must match."),
                nameof(image));
        }

        Preconditions.Finite(image, nameof(image));
        using var scope = torch.NewDisposeScope();
        var planes = image.detach().to(ScalarType.Float64).cpu().reshape(channels, height, width);
        var luminance = channels == 3
            ? (planes[0] * 0.2126) + (planes[1] * 0.7152) + (planes[2] * 0.0722)
            : planes[0];
        var gray = luminance.contiguous().data<double>().ToArray();
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        foreach (var value in gray)
        {
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }

        for (var i = 0; i < gray.Length; i++)
        {
            gray[i] = max > min ? (gray[i] - min) / (max - min) : 0;
        }

        return gray;
    }

    private static (double Low, double High) Range(double[] values, HeatMapOptions options)
    {
        var low = double.PositiveInfinity;
        var high = double.NegativeInfinity;
        foreach (var value in values)
        {
            low = Math.Min(low, value);
            high = Math.Max(high, value);
        }

        return (options.Minimum ?? low, options.Maximum ?? high);
    }

    private static int LabelScale(int height) => height >= 96 ? 2 : 1;

    private static string Label(double value) => value.ToString("G3", CultureInfo.InvariantCulture);

    private static int PanelWidth(double low, double high, int height, HeatMapOptions options)
    {
        if (!options.ColorBar)
        {
            return 0;
        }

        var scale = LabelScale(height);
        var labels = Math.Max(BitmapFont.Measure(Label(low), scale),
            Math.Max(BitmapFont.Measure(Label(high), scale), BitmapFont.Measure(Label((low + high) / 2), scale)));
        return BarGap + BarWidth + LabelGap + labels + 2;
    }

    private static void DrawColorBar(RgbCanvas canvas, int imageWidth, double low, double high, HeatMapOptions options)
    {
        if (!options.ColorBar)
        {
            return;
        }

        var height = canvas.Height;
        var left = imageWidth + BarGap;
        for (var y = 0; y < height; y++)
        {
            var color = ColorMaps.Lookup(options.ColorMap, height == 1 ? 1 : 1 - ((double)y / (height - 1)));
            for (var x = 0; x < BarWidth; x++)
            {
                canvas.Set(left + x, y, color);
            }
        }

        var scale = LabelScale(height);
        var glyph = BitmapFont.GlyphHeight * scale;
        var textLeft = left + BarWidth + LabelGap;
        if (height >= glyph)
        {
            BitmapFont.Draw(canvas, Label(high), textLeft, 0, scale, Ink);
        }

        if (height >= (2 * glyph) + 2)
        {
            BitmapFont.Draw(canvas, Label(low), textLeft, height - glyph, scale, Ink);
        }

        if (height >= (3 * glyph) + 6)
        {
            BitmapFont.Draw(canvas, Label((low + high) / 2), textLeft, (height - glyph) / 2, scale, Ink);
        }
    }

    private static HeatMapOptions Checked(HeatMapOptions? options)
    {
        options ??= new HeatMapOptions();
        options.Validate();
        return options;
    }
}
