using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Uqlib.Evaluation;

/// <summary>A table comparing uncertainty methods on the same cases: one row per method with AUROC [CI], AUPR, FPR@95%TPR, AURC, E-AURC, AUGRC and the paired test against the best.</summary>
/// <remarks>Created by <see cref="RocEvaluator.Compare(IReadOnlyDictionary{string, TorchSharp.torch.Tensor}, TorchSharp.torch.Tensor, RocOptions?)"/> (DeLong) or its clustered overload (Obuchowski). Renders as aligned text, Markdown or CSV. Immutable and thread-safe.</remarks>
public sealed class MethodComparison
{
    private static readonly string[] Headers = { "Method", "AUROC", "AUROC CI", "AUPR", "FPR@95%TPR", "AURC", "E-AURC", "AUGRC", "p vs best" };

    internal MethodComparison(IReadOnlyList<MethodComparisonRow> rows, int cases, int failures, ClusterSummary? clusters, PValueAdjustment adjustment)
    {
        Rows = rows;
        Cases = cases;
        Failures = failures;
        Clusters = clusters;
        PValueAdjustment = adjustment;
    }

    /// <summary>Gets the rows, in the order the methods were given.</summary>
    public IReadOnlyList<MethodComparisonRow> Rows { get; }

    /// <summary>Gets the number of cases every method was evaluated on.</summary>
    public int Cases { get; }

    /// <summary>Gets the number of failures among them.</summary>
    public int Failures { get; }

    /// <summary>
    /// Gets how the cases fall into clusters, or <see langword="null"/> when no cluster ids were given; when given, every interval is
    /// Obuchowski's clustered one and every p-value comes from Obuchowski's clustered paired test.
    /// </summary>
    public ClusterSummary? Clusters { get; }

    /// <summary>Gets how the p-values against the best method were adjusted for multiplicity.</summary>
    public PValueAdjustment PValueAdjustment { get; }

    /// <summary>Renders the table as aligned plain text, three decimals.</summary>
    /// <returns>The text, one line per row after a header and a rule; then, when clusters were given or p-values adjusted, one line saying so.</returns>
    public string ToText()
    {
        var cells = Cells(3);
        var widths = Enumerable.Range(0, Headers.Length).Select(c => cells.Max(r => r[c].Length)).ToArray();
        var builder = new StringBuilder();
        for (var r = 0; r < cells.Count; r++)
        {
            builder.AppendJoin("  ", cells[r].Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).Append('\n');
            if (r == 0)
            {
                builder.Append('-', widths.Sum() + (2 * (widths.Length - 1))).Append('\n');
            }
        }

        return AppendNote(builder).ToString();
    }

    /// <summary>Renders the table as GitHub-flavoured Markdown, three decimals.</summary>
    /// <returns>The Markdown table; then, when clusters were given or p-values adjusted, a blank line and one line saying so.</returns>
    public string ToMarkdown()
    {
        var cells = Cells(3);
        var builder = new StringBuilder();
        for (var r = 0; r < cells.Count; r++)
        {
            builder.Append("| ").AppendJoin(" | ", cells[r].Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))).Append(" |\n");
            if (r == 0)
            {
                builder.Append("|---").Append(string.Concat(Enumerable.Repeat("|---:", Headers.Length - 1))).Append("|\n");
            }
        }

        if (Note() is not null)
        {
            builder.Append('\n');
        }

        return AppendNote(builder).ToString();
    }

    /// <summary>Renders the table as CSV (RFC 4180, invariant culture, full round-trip precision, CI as two columns).</summary>
    /// <returns>The CSV text with a header line.</returns>
    public string ToCsv()
    {
        var builder = new StringBuilder("method,auroc,auroc_ci_lower,auroc_ci_upper,auroc_ci_level,aupr,fpr_at_95_tpr,aurc,e_aurc,augrc,p_vs_best\n");
        foreach (var row in Rows)
        {
            builder.Append(Quote(row.Method));
            foreach (var v in new double?[] { row.Auroc, row.AurocCi?.Lower, row.AurocCi?.Upper, row.AurocCi?.Level, row.Aupr, row.FprAt95Tpr, row.Aurc, row.EAurc, row.Augrc })
            {
                builder.Append(',').Append(v?.ToString("R", CultureInfo.InvariantCulture) ?? string.Empty);
            }

            builder.Append(',').Append(row.PValueVersusBest?.ToString("R", CultureInfo.InvariantCulture) ?? string.Empty).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>Returns <see cref="ToText"/>.</summary>
    /// <returns>The table as text.</returns>
    public override string ToString() => ToText();

    /// <summary>Says how the intervals and p-values were computed when that differs from the plain DeLong table; <see langword="null"/> otherwise.</summary>
    private string? Note()
    {
        var parts = new List<string>();
        if (Clusters is { } c)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"AUROC CI and p: Obuchowski's clustered method, {c.Count} clusters of {c.MinCases}-{c.MaxCases} cases (median {c.MedianCases})"));
        }

        if (PValueAdjustment == PValueAdjustment.Holm)
        {
            parts.Add("p Holm-adjusted");
        }

        return parts.Count == 0 ? null : string.Join("; ", parts) + ".";
    }

    private StringBuilder AppendNote(StringBuilder builder)
    {
        return Note() is { } note ? builder.Append(note).Append('\n') : builder;
    }

    private List<string[]> Cells(int decimals)
    {
        var format = "F" + decimals.ToString(CultureInfo.InvariantCulture);
        string F(double v) => v.ToString(format, CultureInfo.InvariantCulture);
        var rows = new List<string[]> { Headers };
        var best = Rows[0];
        foreach (var row in Rows)
        {
            best = row.Auroc > best.Auroc ? row : best;
        }

        foreach (var row in Rows)
        {
            rows.Add(new[]
            {
                row.Method, F(row.Auroc), row.AurocCi is { } ci ? $"[{F(ci.Lower)}, {F(ci.Upper)}]" : "undefined", F(row.Aupr), F(row.FprAt95Tpr), F(row.Aurc), F(row.EAurc), F(row.Augrc),
                row.PValueVersusBest is { } p ? (p < 0.001 ? "<0.001" : F(p)) : ReferenceEquals(row, best) ? "best" : "undefined",
            });
        }

        return rows;
    }

    private static string Quote(string text)
    {
        return text.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }
}
