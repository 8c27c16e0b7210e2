using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Text;
using Uqlib.Evaluation;

namespace Uqlib.Interactive;

/// <summary>HTML tables for the evaluation types, three decimals, invariant culture, every text encoded.</summary>
internal static class HtmlTables
{
    private const string TableStyle = "border-collapse:collapse;font-family:sans-serif;font-size:0.9em";
    private const string CellStyle = "padding:2px 8px;border-bottom:1px solid #ddd";

    public static string FailureDetection(FailureDetectionResult result)
    {
        var rows = new List<(string Metric, string Value)>
        {
            ("Cases", Integer(result.Cases)),
            ("Failures", string.Create(CultureInfo.InvariantCulture, $"{result.Failures} ({(double)result.Failures / result.Cases:0.0%})")),
            ("AUROC", Number(result.Auroc)),
            (result.AurocCi is { } ci ? string.Create(CultureInfo.InvariantCulture, $"AUROC {ci.Level:0%} CI (DeLong)") : "AUROC CI (DeLong)", Interval(result.AurocCi)),
            ("AUPR (failures positive)", Number(result.Aupr)),
            ("FPR@95%TPR", Number(result.FprAt95Tpr)),
            ("AURC", Number(result.Aurc)),
            ("E-AURC", Number(result.EAurc)),
            ("AUGRC", Number(result.Augrc)),
            ("Youden threshold", Point(result.Youden)),
            ("Threshold for target sensitivity", Point(result.ForTargetSensitivity)),
        };
        if (result.AtThreshold is { } at)
        {
            rows.Add(("At the given threshold", Point(at)));
        }

        var html = new StringBuilder();
        html.Append("<table class=\"uqlib-failure-detection\" style=\"").Append(TableStyle).Append("\">");
        html.Append("<thead><tr>").Append(Header("Metric")).Append(Header("Value")).Append("</tr></thead><tbody>");
        foreach (var (metric, value) in rows)
        {
            html.Append("<tr>").Append(Cell(metric, left: true)).Append(Cell(value, left: false)).Append("</tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }

    public static string Comparison(MethodComparison comparison)
    {
        var html = new StringBuilder();
        html.Append("<table class=\"uqlib-method-comparison\" style=\"").Append(TableStyle).Append("\">");
        html.Append("<caption style=\"caption-side:bottom;text-align:left;color:#666\">")
            .Append(string.Create(CultureInfo.InvariantCulture, $"{comparison.Cases} cases, {comparison.Failures} failures; AUROC interval: DeLong; p: DeLong's paired test against the best AUROC."))
            .Append("</caption>");
        html.Append("<thead><tr>");
        foreach (var header in new[] { "Method", "AUROC", "AUROC CI", "AUPR", "FPR@95%TPR", "AURC", "E-AURC", "AUGRC", "p vs best" })
        {
            html.Append(Header(header));
        }

        html.Append("</tr></thead><tbody>");
        var best = comparison.Rows[0];
        foreach (var row in comparison.Rows)
        {
            best = row.Auroc > best.Auroc ? row : best;
        }

        foreach (var row in comparison.Rows)
        {
            html.Append("<tr>")
                .Append(Cell(row.Method, left: true))
                .Append(Cell(Number(row.Auroc), left: false))
                .Append(Cell(Interval(row.AurocCi), left: false))
                .Append(Cell(Number(row.Aupr), left: false))
                .Append(Cell(Number(row.FprAt95Tpr), left: false))
                .Append(Cell(Number(row.Aurc), left: false))
                .Append(Cell(Number(row.EAurc), left: false))
                .Append(Cell(Number(row.Augrc), left: false))
                .Append(Cell(row.PValueVersusBest is { } p ? PValue(p) : ReferenceEquals(row, best) ? "best" : "undefined", left: false))
                .Append("</tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }

    /// <summary>
    /// The OOD comparison as <see cref="Evaluation.OodComparison.ToText"/> lays it out: one row per (detector, OOD set), then the detector's
    /// means over two or more sets of a kind (in italics, without intervals); an interval cell is "undefined" where the bootstrap was run but
    /// the interval is undefined, and empty where no bootstrap was run.
    /// </summary>
    public static string OodComparison(OodComparison comparison)
    {
        var computed = comparison.ConfidenceLevel is not null;
        var html = new StringBuilder();
        html.Append("<table class=\"uqlib-ood-comparison\" style=\"").Append(TableStyle).Append("\">");
        html.Append("<caption style=\"caption-side:bottom;text-align:left;color:#666\">")
            .Append(comparison.ConfidenceLevel is { } level
                ? string.Create(CultureInfo.InvariantCulture, $"OOD cases positive; intervals: stratified bootstrap, {level:0%}.")
                : "OOD cases positive; no intervals (no bootstrap).")
            .Append("</caption>");
        html.Append("<thead><tr>");
        foreach (var header in new[] { "Detector", "OOD set", "Shift", "AUROC", "AUROC CI", "AUPR-In", "AUPR-Out", "FPR@95%TPR", "FPR CI" })
        {
            html.Append(Header(header));
        }

        html.Append("</tr></thead><tbody>");
        var detectors = new List<string>();
        foreach (var row in comparison.Rows)
        {
            if (!detectors.Contains(row.Detector))
            {
                detectors.Add(row.Detector);
            }
        }

        foreach (var detector in detectors)
        {
            foreach (var row in comparison.Rows)
            {
                if (row.Detector != detector)
                {
                    continue;
                }

                var r = row.Result;
                html.Append("<tr>")
                    .Append(Cell(row.Detector, left: true))
                    .Append(Cell(row.OodSet, left: true))
                    .Append(Cell(Shift(row.Shift), left: true))
                    .Append(Cell(Number(r.Auroc), left: false))
                    .Append(Cell(OodInterval(r.AurocCi, computed), left: false))
                    .Append(Cell(Number(r.AuprIn), left: false))
                    .Append(Cell(Number(r.AuprOut), left: false))
                    .Append(Cell(Number(r.FprAt95Tpr), left: false))
                    .Append(Cell(OodInterval(r.FprAt95TprCi, computed), left: false))
                    .Append("</tr>");
            }

            foreach (var mean in comparison.Means)
            {
                if (mean.Detector != detector || mean.Sets < 2)
                {
                    continue;
                }

                html.Append("<tr style=\"font-style:italic\">")
                    .Append(Cell(mean.Detector, left: true))
                    .Append(Cell(string.Create(CultureInfo.InvariantCulture, $"mean of {mean.Sets} {Shift(mean.Shift)}"), left: true))
                    .Append(Cell(Shift(mean.Shift), left: true))
                    .Append(Cell(Number(mean.Auroc), left: false))
                    .Append(Cell(string.Empty, left: false))
                    .Append(Cell(Number(mean.AuprIn), left: false))
                    .Append(Cell(Number(mean.AuprOut), left: false))
                    .Append(Cell(Number(mean.FprAt95Tpr), left: false))
                    .Append(Cell(string.Empty, left: false))
                    .Append("</tr>");
            }
        }

        return html.Append("</tbody></table>").ToString();
    }

    public static string Number(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Integer(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Interval(ConfidenceInterval? ci) => ci is null ? "undefined" : $"[{Number(ci.Lower)}, {Number(ci.Upper)}]";

    private static string OodInterval(ConfidenceInterval? ci, bool computed) => ci is not null ? Interval(ci) : computed ? "undefined" : string.Empty;

    private static string Shift(OodShift shift) => shift == OodShift.Near ? "near" : "far";

    private static string PValue(double p) => p < 0.001 ? "&lt;0.001" : Number(p);

    private static string Point(OperatingPoint point) => string.Create(CultureInfo.InvariantCulture,
        $"{point.Threshold:0.000###}: sensitivity {point.Sensitivity:0.000}, specificity {point.Specificity:0.000}, flags {point.FractionFlagged:0.0%}");

    private static string Header(string text) =>
        $"<th style=\"{CellStyle};text-align:left\">{WebUtility.HtmlEncode(text)}</th>";

    private static string Cell(string text, bool left)
    {
        // "&lt;" from PValue is already encoded; every other text is encoded here.
        var encoded = text.StartsWith("&lt;", System.StringComparison.Ordinal) ? text : WebUtility.HtmlEncode(text);
        return $"<td style=\"{CellStyle};text-align:{(left ? "left" : "right")}\">{encoded}</td>";
    }
}
