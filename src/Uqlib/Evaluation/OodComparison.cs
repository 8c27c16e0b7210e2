using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Uqlib.Evaluation;

/// <summary>
/// A table comparing OOD detectors over OOD sets: one row per (detector, set) with AUROC [CI], AUPR-In, AUPR-Out and FPR@95%TPR [CI],
/// then per detector the mean over its near and over its far sets, as OpenOOD v1.5 reports (Zhang et al. 2023).
/// </summary>
/// <remarks>Created by <see cref="OodEvaluator.Compare"/>. Renders as aligned text, Markdown or CSV. Immutable and thread-safe.</remarks>
public sealed class OodComparison
{
    private static readonly string[] Headers = { "Detector", "OOD set", "Shift", "AUROC", "AUROC CI", "AUPR-In", "AUPR-Out", "FPR@95%TPR", "FPR CI" };

    internal OodComparison(IReadOnlyList<OodComparisonRow> rows, double? confidenceLevel)
    {
        Rows = rows;
        ConfidenceLevel = confidenceLevel;
        var means = new List<OodComparisonMean>();
        foreach (var detector in rows.Select(r => r.Detector).Distinct())
        {
            foreach (var shift in new[] { OodShift.Near, OodShift.Far })
            {
                var group = rows.Where(r => r.Detector == detector && r.Shift == shift).Select(r => r.Result).ToArray();
                if (group.Length > 0)
                {
                    means.Add(new OodComparisonMean(
                        detector, shift, group.Length, group.Average(g => g.Auroc), group.Average(g => g.AuprIn), group.Average(g => g.AuprOut), group.Average(g => g.FprAt95Tpr)));
                }
            }
        }

        Means = means;
    }

    /// <summary>Gets the rows: detectors in the order given, each with its sets in the order given.</summary>
    public IReadOnlyList<OodComparisonRow> Rows { get; }

    /// <summary>Gets, per detector (in order), the mean over its near sets and over its far sets; a kind without sets has no entry.</summary>
    public IReadOnlyList<OodComparisonMean> Means { get; }

    /// <summary>Gets the confidence level of the bootstrap intervals, or <see langword="null"/> when none were computed.</summary>
    public double? ConfidenceLevel { get; }

    /// <summary>Renders the table as aligned plain text, three decimals; the means over two or more sets of a kind follow the rows of each detector.</summary>
    /// <returns>The text, one line per row after a header and a rule.</returns>
    public string ToText()
    {
        var cells = Cells();
        var widths = Enumerable.Range(0, Headers.Length).Select(c => cells.Max(r => r[c].Length)).ToArray();
        var builder = new StringBuilder();
        for (var r = 0; r < cells.Count; r++)
        {
            builder.AppendJoin("  ", cells[r].Select((cell, c) => c < 3 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).Append('\n');
            if (r == 0)
            {
                builder.Append('-', widths.Sum() + (2 * (widths.Length - 1))).Append('\n');
            }
        }

        return builder.ToString();
    }

    /// <summary>Renders the table as GitHub-flavoured Markdown, three decimals, with the means as <see cref="ToText"/>.</summary>
    /// <returns>The Markdown table.</returns>
    public string ToMarkdown()
    {
        var cells = Cells();
        var builder = new StringBuilder();
        for (var r = 0; r < cells.Count; r++)
        {
            builder.Append("| ").AppendJoin(" | ", cells[r].Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))).Append(" |\n");
            if (r == 0)
            {
                builder.Append("|---|---|---").Append(string.Concat(Enumerable.Repeat("|---:", Headers.Length - 3))).Append("|\n");
            }
        }

        return builder.ToString();
    }

    /// <summary>Renders the rows (not the means) as CSV (RFC 4180, invariant culture, full round-trip precision, each interval as two columns, empty where undefined).</summary>
    /// <returns>The CSV text with a header line.</returns>
    public string ToCsv()
    {
        var builder = new StringBuilder(
            "detector,ood_set,shift,n_id,n_ood,auroc,auroc_ci_lower,auroc_ci_upper,aupr_in,aupr_in_ci_lower,aupr_in_ci_upper,aupr_out,aupr_out_ci_lower,aupr_out_ci_upper,fpr_at_95_tpr,fpr_ci_lower,fpr_ci_upper\n");
        foreach (var row in Rows)
        {
            var r = row.Result;
            builder.Append(Quote(row.Detector)).Append(',').Append(Quote(row.OodSet)).Append(',').Append(row.Shift == OodShift.Near ? "near" : "far")
                .Append(',').Append(r.InDistribution.ToString(CultureInfo.InvariantCulture)).Append(',').Append(r.OutOfDistribution.ToString(CultureInfo.InvariantCulture));
            foreach (var v in new double?[]
            {
                r.Auroc, r.AurocCi?.Lower, r.AurocCi?.Upper, r.AuprIn, r.AuprInCi?.Lower, r.AuprInCi?.Upper, r.AuprOut, r.AuprOutCi?.Lower, r.AuprOutCi?.Upper,
                r.FprAt95Tpr, r.FprAt95TprCi?.Lower, r.FprAt95TprCi?.Upper,
            })
            {
                builder.Append(',').Append(v?.ToString("R", CultureInfo.InvariantCulture) ?? string.Empty);
            }

            builder.Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>Returns <see cref="ToText"/>.</summary>
    /// <returns>The table as text.</returns>
    public override string ToString() => ToText();

    private static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    private static string Ci(ConfidenceInterval? ci, bool computed) => ci is { } c ? $"[{F(c.Lower)}, {F(c.Upper)}]" : computed ? "undefined" : string.Empty;

    private List<string[]> Cells()
    {
        var computed = ConfidenceLevel is not null;
        var rows = new List<string[]> { Headers };
        foreach (var detector in Rows.Select(r => r.Detector).Distinct())
        {
            foreach (var row in Rows.Where(r => r.Detector == detector))
            {
                var r = row.Result;
                rows.Add(new[]
                {
                    row.Detector, row.OodSet, row.Shift == OodShift.Near ? "near" : "far", F(r.Auroc), Ci(r.AurocCi, computed), F(r.AuprIn), F(r.AuprOut),
                    F(r.FprAt95Tpr), Ci(r.FprAt95TprCi, computed),
                });
            }

            foreach (var mean in Means.Where(m => m.Detector == detector && m.Sets > 1))
            {
                var shift = mean.Shift == OodShift.Near ? "near" : "far";
                rows.Add(new[]
                {
                    mean.Detector, string.Create(CultureInfo.InvariantCulture, $"mean of {mean.Sets} {shift}"), shift, F(mean.Auroc), string.Empty, F(mean.AuprIn),
                    F(mean.AuprOut), F(mean.FprAt95Tpr), string.Empty,
                });
            }
        }

        return rows;
    }

    private static string Quote(string text)
    {
        return text.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }
}
