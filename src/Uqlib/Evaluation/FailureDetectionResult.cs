namespace Uqlib.Evaluation;

/// <summary>How well an uncertainty score separates the cases where the model failed from those where it did not.</summary>
/// <remarks>Failures are the positive class; a higher score ranks a case as more likely to have failed. Immutable.</remarks>
public sealed class FailureDetectionResult
{
    internal FailureDetectionResult(
        int cases,
        int failures,
        RankMetrics metrics,
        ConfidenceInterval? aurocCi,
        ClusterSummary? clusters,
        RocCurve roc,
        PrecisionRecallCurve precisionRecall,
        RiskCoverageCurve riskCoverage,
        OperatingPoint? atThreshold,
        OperatingPoint forTargetSensitivity,
        OperatingPoint youden)
    {
        Cases = cases;
        Failures = failures;
        Auroc = metrics.Auroc;
        Aupr = metrics.AveragePrecision;
        FprAt95Tpr = metrics.FprAt95Tpr;
        Aurc = metrics.Aurc;
        EAurc = metrics.EAurc;
        Augrc = metrics.Augrc;
        AurocCi = aurocCi;
        Clusters = clusters;
        Roc = roc;
        PrecisionRecall = precisionRecall;
        RiskCoverage = riskCoverage;
        AtThreshold = atThreshold;
        ForTargetSensitivity = forTargetSensitivity;
        Youden = youden;
    }

    /// <summary>Gets the number of cases evaluated.</summary>
    public int Cases { get; }

    /// <summary>Gets the number of failures among them.</summary>
    public int Failures { get; }

    /// <summary>Gets the area under the ROC curve, identical to scikit-learn's <c>roc_auc_score</c> (ties count one half).</summary>
    public double Auroc { get; }

    /// <summary>
    /// Gets the confidence interval of <see cref="Auroc"/>: DeLong's, as R pROC's <c>ci.auc(method = "delong")</c>, or, when cluster ids were
    /// given, Obuchowski's clustered interval (<see cref="ClusteredAuroc"/>), which treats the cluster as the unit; <see langword="null"/> where
    /// DeLong's is undefined: fewer than 2 failures or 2 successes, or a DeLong variance of 0 (scores that separate the classes perfectly or tie
    /// every case), where pROC reports a zero-width interval.
    /// </summary>
    public ConfidenceInterval? AurocCi { get; }

    /// <summary>Gets how the cases fall into clusters (count, clusters holding a failure, cases per cluster), or <see langword="null"/> when no cluster ids were given.</summary>
    public ClusterSummary? Clusters { get; }

    /// <summary>Gets the average precision with failures as positives, identical to scikit-learn's <c>average_precision_score</c>.</summary>
    public double Aupr { get; }

    /// <summary>Gets the smallest false-positive rate among the thresholds reaching a true-positive rate of at least 0.95.</summary>
    public double FprAt95Tpr { get; }

    /// <summary>Gets the area under the risk–coverage curve (trapezoidal over coverage in [0, 1]); lower is better.</summary>
    public double Aurc { get; }

    /// <summary>Gets the excess AURC: <see cref="Aurc"/> minus the AURC of an ideal score at the same failure rate r, r + (1 − r) ln(1 − r).</summary>
    public double EAurc { get; }

    /// <summary>
    /// Gets the area under the generalized risk–coverage curve, in [0, 0.5]; lower is better (Traub et al. 2024, "Overcoming common flaws in
    /// the evaluation of selective classification systems", NeurIPS).
    /// </summary>
    /// <remarks>
    /// The generalized risk at coverage c is the joint probability that a case is kept and failed: failures among the kept cases / all cases
    /// (the selective risk times the coverage, <see cref="RiskCoverageCurve.GeneralizedRisks"/>). Cases are kept from the lowest score up;
    /// tied scores are kept or rejected together, so the curve has one point per distinct score plus (0, 0), and the area is the trapezoid
    /// over coverage in [0, 1], as fd-shifts' <c>RiskCoverageStats.augrc</c> (which reports it times 1000). Unlike <see cref="Aurc"/> it does
    /// not over-weight the few most confident cases; an ideal score at failure rate r gives r²/2, a random one r/2.
    /// </remarks>
    public double Augrc { get; }

    /// <summary>Gets the ROC curve.</summary>
    public RocCurve Roc { get; }

    /// <summary>Gets the precision–recall curve.</summary>
    public PrecisionRecallCurve PrecisionRecall { get; }

    /// <summary>Gets the risk–coverage curve; <see cref="RiskCoverageCurve.RiskAtCoverage"/> and <see cref="RiskCoverageCurve.CoverageAtRisk"/> read working points off it.</summary>
    public RiskCoverageCurve RiskCoverage { get; }

    /// <summary>Gets the sensitivity and specificity at <see cref="RocOptions.Threshold"/>, or <see langword="null"/> when none was asked for.</summary>
    public OperatingPoint? AtThreshold { get; }

    /// <summary>Gets the highest threshold whose sensitivity reaches <see cref="RocOptions.TargetSensitivity"/>, with the fraction of cases it flags for review.</summary>
    public OperatingPoint ForTargetSensitivity { get; }

    /// <summary>Gets the threshold maximising Youden's J = sensitivity + specificity − 1 (the highest one on ties).</summary>
    public OperatingPoint Youden { get; }
}
