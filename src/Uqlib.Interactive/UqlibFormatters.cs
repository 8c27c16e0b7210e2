using Microsoft.DotNet.Interactive.Formatting;
using Uqlib.Calibration;
using Uqlib.Evaluation;
using Uqlib.Plotting;

namespace Uqlib.Interactive;

/// <summary>Registers how Uqlib's results display in a .NET Interactive notebook: evaluation results, method and OOD comparisons as HTML tables, reliability diagrams, charts and uncertainty maps as PNG images.</summary>
/// <remarks>
/// <c>#r "nuget: Uqlib.Interactive"</c> calls <see cref="Register"/> by itself (the package's <c>interactive-extensions/dotnet/extension.dib</c>);
/// hosts that do not load extensions call it once. Registrations are process-wide, as .NET Interactive's formatters are.
/// </remarks>
public static class UqlibFormatters
{
    /// <summary>The MIME type every Uqlib formatter writes.</summary>
    public const string MimeType = "text/html";

    /// <summary>Registers the HTML formatters of <see cref="FailureDetectionResult"/>, <see cref="MethodComparison"/>, <see cref="OodComparison"/>, <see cref="ReliabilityDiagram"/>, <see cref="Chart"/> and <see cref="UncertaintyMapImage"/>, and makes HTML their preferred display.</summary>
    /// <remarks>Calling it again registers the same formatters again, which is harmless (the latest registration wins).</remarks>
    public static void Register()
    {
        Add<FailureDetectionResult>(HtmlTables.FailureDetection);
        Add<MethodComparison>(HtmlTables.Comparison);
        Add<OodComparison>(HtmlTables.OodComparison);
        Add<ReliabilityDiagram>(DiagramHtml);
        Add<Chart>(ChartHtml);
        Add<UncertaintyMapImage>(map => map.ToHtml());
    }

    /// <summary>Renders a chart as a PNG <c>img</c> element at the chart's size.</summary>
    internal static string ChartHtml(Chart chart) =>
        ImageHtml.Png(chart.ToPng(), chart.Options.Width, chart.Options.Height, chart.Title);

    /// <summary>Renders a reliability diagram as its chart (<see cref="ReliabilityDiagramChart"/>, default options), as a PNG <c>img</c> element.</summary>
    internal static string DiagramHtml(ReliabilityDiagram diagram)
    {
        using var chart = ReliabilityDiagramChart.Create(diagram);
        return ChartHtml(chart);
    }

    private static void Add<T>(System.Func<T, string> html)
    {
        Formatter.Register<T>((value, context) =>
        {
            context.Writer.Write(html(value));
            return true;
        }, MimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(T), MimeType);
    }
}
