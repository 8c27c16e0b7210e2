namespace Uqlib.Evaluation;

/// <summary>The scalar failure-detection metrics of one score, from one sort and one walk over the cases (<see cref="RocEvaluator.Metrics(System.ReadOnlySpan{double}, System.ReadOnlySpan{bool})"/>).</summary>
/// <remarks>Failures are the positive class; a higher score ranks a case as more likely to have failed. Immutable.</remarks>
public sealed class RocMetrics
{
    internal RocMetrics(double auroc, double averagePrecision, double fprAt95Tpr, double aurc, double eAurc)
    {
        Auroc = auroc;
        AveragePrecision = averagePrecision;
        FprAt95Tpr = fprAt95Tpr;
        Aurc = aurc;
        EAurc = eAurc;
    }

    /// <summary>Gets the area under the ROC curve in [0, 1], identical to scikit-learn's <c>roc_auc_score</c> (ties count one half).</summary>
    public double Auroc { get; }

    /// <summary>Gets the average precision in (0, 1] with failures as positives, identical to scikit-learn's <c>average_precision_score</c>.</summary>
    public double AveragePrecision { get; }

    /// <summary>Gets the smallest false-positive rate among the thresholds reaching a true-positive rate of at least 0.95, as <see cref="FailureDetectionResult.FprAt95Tpr"/>.</summary>
    public double FprAt95Tpr { get; }

    /// <summary>Gets the area under the risk–coverage curve, as <see cref="FailureDetectionResult.Aurc"/> (Geifman &amp; El-Yaniv 2017).</summary>
    public double Aurc { get; }

    /// <summary>Gets the excess AURC over an ideal score at the same failure rate, as <see cref="FailureDetectionResult.EAurc"/>.</summary>
    public double EAurc { get; }

    /// <inheritdoc />
    public override string ToString() => System.FormattableString.Invariant(
        $"RocMetrics(AUROC={Auroc:0.####}, AP={AveragePrecision:0.####}, FPR@95TPR={FprAt95Tpr:0.####}, AURC={Aurc:0.####}, E-AURC={EAurc:0.####})");
}
