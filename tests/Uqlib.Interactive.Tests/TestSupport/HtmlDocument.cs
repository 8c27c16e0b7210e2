using System.Collections.Generic;
using System.Linq;
using System.Xml.Linq;

namespace Uqlib.Interactive.Tests.TestSupport;

/// <summary>Parses the formatters' HTML (which is well-formed XML) to read cells and attributes.</summary>
internal static class HtmlDocument
{
    public static XElement Parse(string html) => XElement.Parse(html.Replace("&lt;", "&amp;lt;", System.StringComparison.Ordinal));

    /// <summary>The text of every row's cells, header row first.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Rows(string html) =>
        Parse(html).Descendants("tr")
            .Select(tr => (IReadOnlyList<string>)tr.Elements().Select(c => System.Net.WebUtility.HtmlDecode(c.Value)).ToList())
            .ToList();
}
