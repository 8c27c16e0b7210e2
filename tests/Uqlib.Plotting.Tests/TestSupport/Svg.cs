using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml.Linq;

namespace Uqlib.Plotting.Tests.TestSupport;

/// <summary>Reads the texts an SVG document draws.</summary>
internal static class Svg
{
    /// <summary>The text of every <c>text</c> element, in document order.</summary>
    public static IReadOnlyList<string> Texts(string svg)
    {
        var document = XDocument.Parse(svg);
        return document.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim()).ToList();
    }

    /// <summary>The font families the text elements ask for.</summary>
    public static IReadOnlyList<string> FontFamilies(string svg)
    {
        var document = XDocument.Parse(svg);
        return document.Descendants().Where(e => e.Name.LocalName == "text")
            .Select(e => (string?)e.Attribute("font-family") ?? string.Empty).Distinct().ToList();
    }

    /// <summary>
    /// The plot areas: the distinct clip rectangles that lie outside every legend box. Everything a plot draws in its data
    /// area (bars, curves, lines) is clipped to its rectangle, so a plot area bounds all of its marks.
    /// </summary>
    public static IReadOnlyList<Box> PlotAreas(string svg)
    {
        var document = XDocument.Parse(svg);
        var legends = LegendBoxes(svg);
        return document.Descendants().Where(e => e.Name.LocalName == "clipPath")
            .SelectMany(c => c.Elements().Where(e => e.Name.LocalName == "rect")).Select(Box.Of).Distinct()
            .Where(b => !legends.Any(l => l.Contains(b))).ToList();
    }

    /// <summary>The legend boxes: rectangles drawn twice, filled white and then outlined (bars are outlined over their own colour).</summary>
    public static IReadOnlyList<Box> LegendBoxes(string svg)
    {
        var rects = XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "rect" && e.Attribute("x") is not null).ToList();
        var white = rects.Where(e => (string?)e.Attribute("fill") == "white").Select(Box.Of).ToHashSet();
        return rects.Where(e => (string?)e.Attribute("fill") == "none" && e.Attribute("stroke") is not null)
            .Select(Box.Of).Where(white.Contains).ToList();
    }

    /// <summary>An axis-aligned rectangle in SVG pixels (y grows downwards).</summary>
    public readonly record struct Box(double X, double Y, double Width, double Height)
    {
        public double Right => X + Width;

        public double Bottom => Y + Height;

        public static Box Of(XElement rect) => new(Number(rect, "x"), Number(rect, "y"), Number(rect, "width"), Number(rect, "height"));

        public bool Overlaps(Box other) => X < other.Right && other.X < Right && Y < other.Bottom && other.Y < Bottom;

        public bool Contains(Box other) => X <= other.X && Y <= other.Y && other.Right <= Right && other.Bottom <= Bottom;

        private static double Number(XElement rect, string name) =>
            double.Parse((string?)rect.Attribute(name) ?? "0", CultureInfo.InvariantCulture);
    }
}
