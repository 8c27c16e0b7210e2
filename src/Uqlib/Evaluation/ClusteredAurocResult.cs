using System;

namespace Uqlib.Evaluation;

/// <summary>The AUROC of clustered cases with Obuchowski's variance and the normal confidence interval it gives.</summary>
/// <param name="Auroc">The AUROC, identical to scikit-learn's <c>roc_auc_score</c> (clusters do not change the estimate).</param>
/// <param name="Variance">Obuchowski's (1997) nonparametric variance of the AUROC, treating the cluster as the unit; at least 0.</param>
/// <param name="Ci">The interval AUROC ∓ z·√variance, clipped to [0, 1]; <see langword="null"/> where the variance is 0 (scores that separate failures perfectly or tie every case), since a zero-width interval would claim certainty no finite sample gives.</param>
/// <param name="Clusters">How the cases fall into clusters.</param>
/// <exception cref="ArgumentNullException"><paramref name="Clusters"/> is <see langword="null"/>.</exception>
public sealed record ClusteredAurocResult(double Auroc, double Variance, ConfidenceInterval? Ci, ClusterSummary Clusters)
{
    /// <summary>Gets how the cases fall into clusters.</summary>
    public ClusterSummary Clusters { get; init; } = Clusters ?? throw new ArgumentNullException(nameof(Clusters));

    /// <summary>Gets the standard error, √<see cref="Variance"/>.</summary>
    public double StandardError => Math.Sqrt(Variance);
}
