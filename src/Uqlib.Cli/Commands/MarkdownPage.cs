using System.Linq;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Uqlib.Cli.Commands;

/// <summary>Turns the report's own Markdown (headings, paragraphs, pipe tables, images) into a plain HTML page.</summary>
internal static partial class MarkdownPage
{
    public static string ToHtml(string markdown, string title)
    {
        var html = new StringBuilder()
            .Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").Append(WebUtility.HtmlEncode(title))
            .Append("</title><style>body{font-family:sans-serif;max-width:60em;margin:auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}img{max-width:48%}</style></head><body>\n");
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.StartsWith('|'))
            {
                html.Append("<table>\n");
                var header = true;
                for (; i < lines.Length && lines[i].StartsWith('|'); i++)
                {
                    var cells = lines[i].Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
                    if (cells.All(c => c.Length > 0 && c.Trim(':', '-').Length == 0))
                    {
                        continue;
                    }

                    var tag = header ? "th" : "td";
                    html.Append("<tr>").Append(string.Concat(cells.Select(c => $"<{tag}>{Inline(c)}</{tag}>"))).Append("</tr>\n");
                    header = false;
                }

                html.Append("</table>\n");
                i--;
            }
            else if (line.StartsWith("## ", System.StringComparison.Ordinal))
            {
                html.Append("<h2>").Append(Inline(line[3..])).Append("</h2>\n");
            }
            else if (line.StartsWith("# ", System.StringComparison.Ordinal))
            {
                html.Append("<h1>").Append(Inline(line[2..])).Append("</h1>\n");
            }
            else if (line.Length > 0)
            {
                html.Append("<p>").Append(Inline(line)).Append("</p>\n");
            }
        }

        return html.Append("</body></html>\n").ToString();
    }

    private static string Inline(string text)
    {
        var encoded = WebUtility.HtmlEncode(text);
        encoded = Image().Replace(encoded, "<img alt=\"$1\" src=\"$2\">");
        return Code().Replace(encoded, "<code>$1</code>");
    }

    [GeneratedRegex(@"!\[([^\]]*)\]\(([^)]*)\)")]
    private static partial Regex Image();

    [GeneratedRegex("`([^`]*)`")]
    private static partial Regex Code();
}
