using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Uqlib.Evaluation;

/// <summary>The evaluation of segmentation uncertainty scores: the failure-detection table and each score's Spearman correlation with the Dice.</summary>
/// <remarks>Created by <see cref="SegmentationEvaluation"/>. Immutable and thread-safe.</remarks>
public sealed class SegmentationEvaluationResult
{
    internal SegmentationEvaluationResult(MethodComparison comparison, double[] dice, double diceThreshold, IReadOnlyList<string> methods, IReadOnlyList<double> spearman)
    {
        Comparison = comparison;
        Dice = Array.AsReadOnly(dice);
        DiceThreshold = diceThreshold;
        var correlations = new Dictionary<string, double>(methods.Count);
        for (var i = 0; i < methods.Count; i++)
        {
            correlations.Add(methods[i], spearman[i]);
        }

        SpearmanWithDice = new System.Collections.ObjectModel.ReadOnlyDictionary<string, double>(correlations);
    }

    /// <summary>Gets the failure-detection table (AUROC with DeLong's CI, AUPR, FPR@95%TPR, AURC, E-AURC), one row per method in the order given; failures are the images whose Dice is below <see cref="DiceThreshold"/>.</summary>
    public MethodComparison Comparison { get; }

    /// <summary>Gets the Dice of each image, in [0, 1] (1 where prediction and truth are both empty).</summary>
    public IReadOnlyList<double> Dice { get; }

    /// <summary>Gets the Dice below which an image counts as a failure.</summary>
    public double DiceThreshold { get; }

    /// <summary>Gets each method's Spearman rank correlation between its score and the Dice, in [−1, 1]; a useful score is close to −1.</summary>
    public IReadOnlyDictionary<string, double> SpearmanWithDice { get; }

    /// <summary>Renders the comparison table and the correlations as GitHub-flavoured Markdown, three decimals.</summary>
    /// <returns>The Markdown text.</returns>
    public string ToMarkdown()
    {
        var builder = new StringBuilder(Comparison.ToMarkdown()).Append('\n');
        builder.Append("| Method | Spearman ρ with Dice |\n|---|---:|\n");
        foreach (var row in Comparison.Rows)
        {
            builder.Append("| ").Append(row.Method.Replace("|", "\\|", System.StringComparison.Ordinal)).Append(" | ")
                .Append(SpearmanWithDice[row.Method].ToString("F3", CultureInfo.InvariantCulture)).Append(" |\n");
        }

        return builder.ToString();
    }

    /// <summary>Renders the comparison as text followed by one line per method with its Spearman correlation.</summary>
    /// <returns>The text.</returns>
    public override string ToString()
    {
        var builder = new StringBuilder(Comparison.ToText());
        builder.Append(string.Create(CultureInfo.InvariantCulture, $"Failures: Dice < {DiceThreshold} ({Comparison.Failures} of {Comparison.Cases} images)\n"));
        foreach (var row in Comparison.Rows)
        {
            builder.Append(string.Create(CultureInfo.InvariantCulture, $"Spearman ρ(score, Dice) {row.Method}: {SpearmanWithDice[row.Method]:F3}\n"));
        }

        return builder.ToString();
    }
}
