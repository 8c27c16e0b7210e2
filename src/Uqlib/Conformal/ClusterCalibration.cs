namespace Uqlib.Conformal;

/// <summary>How calibration cases that share a cluster (a patient, a volume) become the exchangeable calibration scores.</summary>
/// <remarks>
/// Slices of one patient are not exchangeable with slices of another: calibrating on every slice lets patients with many (often easy)
/// slices set the threshold, and new patients are then under-covered. Both rules keep one score per cluster, so the n calibration
/// scores are exchangeable with the score of a new patient (Dunn, Wasserman &amp; Ramdas 2023, "Distribution-free prediction sets for
/// two-layer hierarchical models", JASA; their single-subsampling method is <see cref="RandomCase"/>).
/// </remarks>
public enum ClusterCalibration
{
    /// <summary>
    /// One case per cluster, drawn uniformly with the options' seed: a case drawn at random from a new patient is covered with
    /// probability at least 1 − α, so the per-patient coverage (each patient's share of covered cases, averaged over patients) is at
    /// least 1 − α in expectation.
    /// </summary>
    RandomCase,

    /// <summary>
    /// The largest score of each cluster: every case of a new patient is covered at once with probability at least 1 − α
    /// (simultaneous coverage; larger sets).
    /// </summary>
    Maximum,
}
