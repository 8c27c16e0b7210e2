using System;

namespace Uqlib.Evaluation;

/// <summary>The paired comparison of two correlated AUROCs on the same clustered cases (Obuchowski 1997).</summary>
/// <param name="AurocA">The AUROC of the first score.</param>
/// <param name="AurocB">The AUROC of the second score.</param>
/// <param name="Variance">The variance of AurocA − AurocB: var A + var B − 2 cov(A, B), each from cluster-level structural components.</param>
/// <param name="Z">The test statistic (AurocA − AurocB) / √<paramref name="Variance"/>.</param>
/// <param name="PValue">The two-sided p-value, 2 Φ(−|Z|).</param>
/// <param name="DifferenceCi">The normal confidence interval of AurocA − AurocB (not clipped).</param>
/// <exception cref="ArgumentNullException"><paramref name="DifferenceCi"/> is <see langword="null"/>.</exception>
public sealed record ClusteredAurocTestResult(double AurocA, double AurocB, double Variance, double Z, double PValue, ConfidenceInterval DifferenceCi)
{
    /// <summary>Gets the normal confidence interval of AurocA − AurocB (not clipped).</summary>
    public ConfidenceInterval DifferenceCi { get; init; } = DifferenceCi ?? throw new ArgumentNullException(nameof(DifferenceCi));

    /// <summary>Gets the difference AurocA − AurocB.</summary>
    public double Difference => AurocA - AurocB;
}
