namespace Uqlib.Evaluation;

/// <summary>A scalar failure-detection metric, as reported in <see cref="FailureDetectionResult"/>.</summary>
public enum FailureMetric
{
    /// <summary>The area under the ROC curve (higher is better).</summary>
    Auroc,

    /// <summary>The average precision, failures as positives (higher is better).</summary>
    AveragePrecision,

    /// <summary>The false-positive rate at 95% true-positive rate (lower is better).</summary>
    FprAt95Tpr,

    /// <summary>The area under the risk–coverage curve (lower is better).</summary>
    Aurc,

    /// <summary>The excess AURC over an ideal score (lower is better).</summary>
    EAurc,

    /// <summary>The fraction of cases flagged for review at the highest threshold whose sensitivity reaches <see cref="BootstrapOptions.TargetSensitivity"/> (lower is better), as <see cref="FailureDetectionResult.ForTargetSensitivity"/>.</summary>
    ReferralRate,

    /// <summary>The area under the generalized risk–coverage curve (Traub et al. 2024; lower is better), as <see cref="FailureDetectionResult.Augrc"/>.</summary>
    Augrc,
}
