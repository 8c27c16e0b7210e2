using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Evaluation;

/// <summary>Options of <see cref="RocEvaluator.Evaluate(ReadOnlySpan{double}, ReadOnlySpan{bool}, RocOptions?)"/>.</summary>
public sealed record RocOptions
{
    /// <summary>Gets the confidence level of the AUROC interval (DeLong's, or Obuchowski's when cluster ids are given), in (0, 1).</summary>
    /// <value>The default value is 0.95.</value>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Gets the sensitivity the reported review threshold must reach, in (0, 1].</summary>
    /// <value>The default value is 0.9 ("flag enough cases to catch 90% of the failures").</value>
    public double TargetSensitivity { get; init; } = 0.9;

    /// <summary>Gets a score threshold at which to report sensitivity and specificity, or <see langword="null"/> for none.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public double? Threshold { get; init; }

    /// <summary>Gets how the p-values of a method comparison (<see cref="RocEvaluator.Compare(System.Collections.Generic.IReadOnlyDictionary{string, TorchSharp.torch.Tensor}, TorchSharp.torch.Tensor, RocOptions?)"/>) are adjusted for testing several methods against the best.</summary>
    /// <value>The default value is <see cref="Evaluation.PValueAdjustment.None"/>.</value>
    public PValueAdjustment PValueAdjustment { get; init; } = PValueAdjustment.None;

    /// <summary>Checks every option and reports all problems in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!(ConfidenceLevel > 0 && ConfidenceLevel < 1))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"ConfidenceLevel must be in (0, 1); found {ConfidenceLevel}."));
        }

        if (!(TargetSensitivity > 0 && TargetSensitivity <= 1))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"TargetSensitivity must be in (0, 1]; found {TargetSensitivity}."));
        }

        if (Threshold is { } t && double.IsNaN(t))
        {
            problems.Add("Threshold must be a number or null; found NaN.");
        }

        if (!Enum.IsDefined(PValueAdjustment))
        {
            problems.Add($"PValueAdjustment must be a defined PValueAdjustment; found {PValueAdjustment}.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid RocOptions: " + string.Join(" ", problems), "options");
        }
    }
}
