using System.Collections.Generic;
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
}
