using System;
using System.IO;
using System.Reflection;
using ScottPlot;
using SkiaSharp;

namespace Uqlib.Plotting;

/// <summary>The one font every chart uses: DejaVu Sans, embedded in this assembly, so that text never depends on the fonts a machine has.</summary>
/// <remarks>
/// ScottPlot draws no text at all, silently, when the font it asks for cannot be found (a container without fonts). Every
/// chart therefore names this font explicitly, and the font is resolved from the embedded file ahead of the system's.
/// </remarks>
internal static class ChartFont
{
    /// <summary>The family name charts ask for (the name inside the embedded TTF).</summary>
    public const string Family = "DejaVu Sans";

    private const string ResourceName = "Uqlib.Plotting.Fonts.DejaVuSans.ttf";

    private static readonly Lazy<byte[]> FontBytes = new(ReadResource);
    private static readonly object Gate = new();
    private static bool registered;

    /// <summary>Gets the bytes of the embedded TTF.</summary>
    public static byte[] Bytes => FontBytes.Value;

    /// <summary>Registers the embedded font with ScottPlot once (ahead of the system resolver); thread-safe.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (registered)
            {
                return;
            }

            Fonts.FontResolvers.Insert(0, new EmbeddedFontResolver(Family, Bytes));
            registered = true;
        }
    }

    /// <summary>Sets the embedded font on every text of a plot: title, axis labels, tick labels and legend.</summary>
    public static void Apply(Plot plot, double fontSize)
    {
        EnsureRegistered();
        lock (Gate)
        {
            // FontStyler.Set also changes ScottPlot's process-wide default font, which other plots of the host may rely on.
            var previousDefault = Fonts.Default;
            var previousStyle = Fonts.DefaultFontStyle;
            plot.Font.Set(Family);
            Fonts.Default = previousDefault;
            Fonts.DefaultFontStyle = previousStyle;
        }

        var size = (float)fontSize;
        plot.Axes.Title.Label.FontSize = size * 1.15f;
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.Label.FontSize = size;
            axis.TickLabelStyle.FontName = Family;
            axis.TickLabelStyle.FontSize = size * 0.85f;
        }

        plot.Legend.FontName = Family;
        plot.Legend.FontSize = size * 0.85f;
    }

    private static byte[] ReadResource()
    {
        using var stream = typeof(ChartFont).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded font resource '{ResourceName}' is missing from {typeof(ChartFont).Assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Resolves one family name to a typeface made from bytes in memory.</summary>
    private sealed class EmbeddedFontResolver : IFontResolver
    {
        private readonly string family;
        private readonly byte[] bytes;

        public EmbeddedFontResolver(string family, byte[] bytes)
        {
            this.family = family;
            this.bytes = bytes;
        }

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing)
        {
            return string.Equals(fontName, family, StringComparison.OrdinalIgnoreCase) ? Create() : null;
        }

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic)
        {
            return string.Equals(fontName, family, StringComparison.OrdinalIgnoreCase) ? Create() : null;
        }

        private SKTypeface Create()
        {
            using var data = SKData.CreateCopy(bytes);
            return SKTypeface.FromData(data)
                ?? throw new InvalidOperationException("SkiaSharp could not read the embedded DejaVu Sans font.");
        }
    }
}
