namespace Uqlib.Evaluation;

/// <summary>A calibration metric of predicted probabilities that <see cref="Bootstrap"/> can give a cluster bootstrap interval for.</summary>
public enum CalibrationMetric
{
    /// <summary>The expected calibration error, top-label, equal-width bins (Guo et al. 2017), as <see cref="Calibration.CalibrationMetrics.Ece(System.ReadOnlySpan{double}, System.ReadOnlySpan{int}, int)"/>.</summary>
    Ece,

    /// <summary>The Brier score, as <see cref="Calibration.CalibrationMetrics.BrierScore(System.ReadOnlySpan{double}, System.ReadOnlySpan{int})"/>.</summary>
    BrierScore,

    /// <summary>The negative log-likelihood in nats, as <see cref="Calibration.CalibrationMetrics.NegativeLogLikelihood(System.ReadOnlySpan{double}, System.ReadOnlySpan{int})"/>.</summary>
    NegativeLogLikelihood,

    /// <summary>The accuracy: the fraction of cases whose most probable class is the label (ties to the first class).</summary>
    Accuracy,
}
