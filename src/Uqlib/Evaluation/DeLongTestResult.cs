namespace Uqlib.Evaluation;

/// <summary>The result of DeLong's test comparing the AUROCs of two scores on the same cases.</summary>
/// <param name="AurocA">The AUROC of the first score.</param>
/// <param name="AurocB">The AUROC of the second score.</param>
/// <param name="Z">The test statistic (AurocA − AurocB) / standard error of the difference.</param>
/// <param name="PValue">The two-sided p-value, 2 Φ(−|Z|).</param>
/// <param name="DifferenceCi">The confidence interval of AurocA − AurocB.</param>
/// <exception cref="System.ArgumentNullException"><paramref name="DifferenceCi"/> is <see langword="null"/>.</exception>
public sealed record DeLongTestResult(double AurocA, double AurocB, double Z, double PValue, ConfidenceInterval DifferenceCi)
{
    /// <summary>Gets the confidence interval of AurocA − AurocB.</summary>
    public ConfidenceInterval DifferenceCi { get; init; } = DifferenceCi ?? throw new System.ArgumentNullException(nameof(DifferenceCi));

    /// <summary>Gets the difference AurocA − AurocB.</summary>
    public double Difference => AurocA - AurocB;
}
