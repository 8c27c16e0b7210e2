namespace Uqlib.Evaluation;

/// <summary>How well a score separates out-of-distribution (OOD) cases from in-distribution (ID) ones: the metrics OpenOOD and pytorch-ood report.</summary>
/// <remarks>
/// OOD cases are the positive class and a higher score ranks a case as more likely OOD. Every metric equals scikit-learn's on the labels
/// is_ood (1 for OOD, 0 for ID), ties included: see each property. Intervals are stratified bootstrap percentile (or BCa) intervals from
/// <see cref="Bootstrap"/>, ID and OOD cases resampled separately. Immutable.
/// </remarks>
public sealed class OodDetectionResult
{
    internal OodDetectionResult(
        int inDistribution,
        int outOfDistribution,
        RankMetrics oodPositive,
        double auprIn,
        BootstrapResult? aurocBootstrap,
        BootstrapResult? auprInBootstrap,
        BootstrapResult? auprOutBootstrap,
        BootstrapResult? fprBootstrap,
        RocCurve roc)
    {
        InDistribution = inDistribution;
        OutOfDistribution = outOfDistribution;
        Auroc = oodPositive.Auroc;
        AuprIn = auprIn;
        AuprOut = oodPositive.AveragePrecision;
        FprAt95Tpr = oodPositive.FprAt95Tpr;
        AurocCi = aurocBootstrap?.Ci;
        AuprInCi = auprInBootstrap?.Ci;
        AuprOutCi = auprOutBootstrap?.Ci;
        FprAt95TprCi = fprBootstrap?.Ci;
        Roc = roc;
    }

    /// <summary>Gets the number of in-distribution cases.</summary>
    public int InDistribution { get; }

    /// <summary>Gets the number of OOD cases.</summary>
    public int OutOfDistribution { get; }

    /// <summary>Gets the area under the ROC curve with OOD as the positive class, identical to scikit-learn's <c>roc_auc_score(is_ood, score)</c> (ties count one half); higher is better, 0.5 is chance.</summary>
    public double Auroc { get; }

    /// <summary>
    /// Gets the average precision with the in-distribution cases as the positive class, ranked by the negated score: scikit-learn's
    /// <c>average_precision_score(1 - is_ood, -score)</c>; higher is better, the ID share is chance.
    /// </summary>
    /// <remarks>
    /// OpenOOD integrates the precision–recall curve with the trapezoid (<c>metrics.auc(recall, precision)</c>), which is optimistic
    /// (Davis &amp; Goadrich 2006) and differs from this step-wise average precision by up to a few thousandths on typical sets;
    /// pytorch-ood and scikit-learn use the step-wise one.
    /// </remarks>
    public double AuprIn { get; }

    /// <summary>Gets the average precision with OOD as the positive class: scikit-learn's <c>average_precision_score(is_ood, score)</c>; higher is better, the OOD share is chance.</summary>
    public double AuprOut { get; }

    /// <summary>
    /// Gets the false-positive rate at 95 % true-positive rate: the share of in-distribution cases flagged at the highest threshold that
    /// flags at least 95 % of the OOD cases (a case is flagged when its score is at or above the threshold; tied scores are flagged
    /// together); lower is better.
    /// </summary>
    /// <remarks>
    /// Equals <c>fpr[argmax(tpr &gt;= 0.95)]</c> of scikit-learn's <c>roc_curve(is_ood, score, drop_intermediate=False)</c>, as pytorch-ood's
    /// <c>fpr_at_tpr</c> and OpenOOD v1.5's <c>auc_and_fpr_recall</c> (OOD positive). OpenOOD keeps scikit-learn's default
    /// <c>drop_intermediate=True</c>, which can only give a larger value, and only when the 95 % crossing falls inside a straight run of
    /// the curve that it drops. The older convention (Liang et al. 2018, ODIN; OpenOOD v1 <c>fpr_recall</c>) takes ID as the positive class
    /// instead, the share of OOD cases accepted when 95 % of ID cases are; it is not this number.
    /// </remarks>
    public double FprAt95Tpr { get; }

    /// <summary>Gets the bootstrap interval of <see cref="Auroc"/>, or <see langword="null"/> when no bootstrap was asked for, a class has fewer than 2 cases, or every resample gave the same value (perfect separation).</summary>
    public ConfidenceInterval? AurocCi { get; }

    /// <summary>Gets the bootstrap interval of <see cref="AuprIn"/>, or <see langword="null"/> as for <see cref="AurocCi"/>.</summary>
    public ConfidenceInterval? AuprInCi { get; }

    /// <summary>Gets the bootstrap interval of <see cref="AuprOut"/>, or <see langword="null"/> as for <see cref="AurocCi"/>.</summary>
    public ConfidenceInterval? AuprOutCi { get; }

    /// <summary>Gets the bootstrap interval of <see cref="FprAt95Tpr"/>, or <see langword="null"/> as for <see cref="AurocCi"/>.</summary>
    public ConfidenceInterval? FprAt95TprCi { get; }

    /// <summary>Gets the ROC curve with OOD as the positive class: false-positive rate = ID cases flagged / ID cases, true-positive rate = OOD cases flagged / OOD cases, as scikit-learn's <c>roc_curve(is_ood, score)</c>.</summary>
    public RocCurve Roc { get; }
}
