namespace Uqlib.Evaluation;

/// <summary>How far an out-of-distribution set lies from the in-distribution data, as OpenOOD groups its benchmarks (Zhang et al. 2023, "OpenOOD v1.5").</summary>
public enum OodShift
{
    /// <summary>Near OOD: a semantic shift with little covariate shift (other classes of the same kind of image, another scanner's near-identical protocol); the hard case.</summary>
    Near,

    /// <summary>Far OOD: a large covariate and semantic shift (another modality, another body part, natural images); the easy case.</summary>
    Far,
}
