namespace Uqlib.Augmentation;

/// <summary>The operations a policy search draws sub-policies from; <see cref="Augmentations.FromOperation"/> turns one with a magnitude into an <see cref="IAugmentation"/>.</summary>
/// <remarks>Each operation's magnitude m ∈ [−1, 1] is the fraction of its largest strength documented on <see cref="Augmentations.FromOperation"/>; the sign picks the direction of signed operations.</remarks>
public enum AugmentationOperation
{
    /// <summary>No change.</summary>
    Identity,

    /// <summary>A mirror along the last spatial axis (m ≥ 0) or the one before it (m &lt; 0).</summary>
    Flip,

    /// <summary>A quarter turn in the last two spatial axes, forwards (m ≥ 0) or backwards (m &lt; 0).</summary>
    Rot90,

    /// <summary>A rotation by 30°·m in the last two spatial axes.</summary>
    Rotate,

    /// <summary>A translation by 0.2·m of the size along the last spatial axis.</summary>
    TranslateX,

    /// <summary>A translation by 0.2·m of the size along the second-to-last spatial axis.</summary>
    TranslateY,

    /// <summary>A scaling by 1 + 0.2·m about the centre.</summary>
    Scale,

    /// <summary>A brightness shift of 0.2·m of each sample's intensity range.</summary>
    Brightness,

    /// <summary>A contrast factor of 1 + 0.5·m.</summary>
    Contrast,

    /// <summary>A gamma of 2^m on min–max normalised intensities.</summary>
    Gamma,

    /// <summary>Gaussian noise of standard deviation 0.1·|m| of each sample's intensity range.</summary>
    GaussianNoise,

    /// <summary>A Gaussian blur of σ = 2·|m| pixels.</summary>
    GaussianBlur,

    /// <summary>Unsharp masking of amount 2·|m|.</summary>
    Sharpness,

    /// <summary>A smooth multiplicative bias field of log-magnitude 0.5·|m|.</summary>
    BiasField,
}
