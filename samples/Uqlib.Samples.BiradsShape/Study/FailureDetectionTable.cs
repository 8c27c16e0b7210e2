using System.Collections.Generic;
using System.Text.Json.Serialization;
using Uqlib.Evaluation;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>The failure-detection comparison of every post-hoc method on one set: AUROC with DeLong's interval, AUPR, FPR@95%TPR,
/// AURC, E-AURC and DeLong's paired test against the best AUROC (<see cref="RocEvaluator.Compare(IReadOnlyDictionary{string, TorchSharp.torch.Tensor}, TorchSharp.torch.Tensor, RocOptions?)"/>).</summary>
/// <param name="Set"><c>internal</c> (the held-out internal test patients) or <c>external</c> (the other scanner).</param>
/// <param name="Cases">Cases: one per fold model and slice.</param>
/// <param name="Failures">Misclassified cases.</param>
/// <param name="Rows">One row per method, in report order.</param>
/// <param name="Comparison">The library's table, which renders the rows as Markdown and CSV (not serialised: the rows are).</param>
/// <param name="Results">Each method's full evaluation with its curves, for the plots (not serialised).</param>
/// <param name="Plots">The plot files, relative to the report folder (empty when none was drawn).</param>
public sealed record FailureDetectionTable(
    string Set,
    int Cases,
    int Failures,
    IReadOnlyList<MethodComparisonRow> Rows,
    [property: JsonIgnore] MethodComparison Comparison,
    [property: JsonIgnore] IReadOnlyDictionary<string, FailureDetectionResult> Results,
    IReadOnlyList<string> Plots);
