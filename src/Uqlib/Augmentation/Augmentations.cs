using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Augmentation;

/// <summary>The catalogue of test-time augmentations: batched tensor operations on <c>(N, C, H, W)</c> images and <c>(N, C, D, H, W)</c> volumes, on CPU or CUDA.</summary>
/// <remarks>
/// <para>Spatial axes are counted over the spatial dimensions only: 0 is the first (H for images, D for volumes), −1 the last (W), −2 the one before it.
/// Geometric augmentations (flips, rot90, rotations, translations, scaling) invert dense outputs: flips and rot90 exactly, the affine ones
/// by the inverse affine map within interpolation error (bilinear or trilinear sampling, edge pixels replicated beyond the border).
/// Intensity augmentations (brightness, contrast, gamma, noise, blur, sharpness, bias field) scale with each sample's own intensity range,
/// so the same magnitude suits CT, MRI and natural images.</para>
/// <para>Every augmentation is immutable and deterministic: the random ones take a seed and redraw from it at each call.</para>
/// </remarks>
public static class Augmentations
{
    /// <summary>Gets the operations suited to grayscale medical images and volumes (no colour operations), for policy search.</summary>
    public static IReadOnlyList<AugmentationOperation> MedicalOperations { get; } = Enum.GetValues<AugmentationOperation>();

    /// <summary>Gets the augmentation that changes nothing: the plain prediction inside a policy.</summary>
    public static IAugmentation Identity => IdentityAugmentation.Instance;

    /// <summary>Mirrors along one spatial axis; its own exact inverse.</summary>
    /// <param name="axis">The spatial axis, −3 to 2 (−1 = last, W).</param>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is outside [−3, 2].</exception>
    public static IAugmentation Flip(int axis = -1) => new FlipAugmentation(axis);

    /// <summary>Rotates by quarter turns in a plane of two spatial axes, from the first towards the second; inverted exactly.</summary>
    /// <param name="turns">The number of quarter turns (any integer, taken modulo 4).</param>
    /// <param name="firstAxis">The first spatial axis of the plane, −3 to 2.</param>
    /// <param name="secondAxis">The second spatial axis of the plane, −3 to 2, different from the first.</param>
    /// <returns>The augmentation; in a non-square plane it swaps the two sizes.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An axis is outside [−3, 2].</exception>
    /// <exception cref="ArgumentException">The two axes are the same.</exception>
    public static IAugmentation Rot90(int turns = 1, int firstAxis = -2, int secondAxis = -1) => new Rot90Augmentation(turns, firstAxis, secondAxis);

    /// <summary>Rotates about the centre by an angle in a plane of two spatial axes (affine grid sampling).</summary>
    /// <param name="degrees">The angle in degrees, −180 to 180, from the first axis towards the second.</param>
    /// <param name="firstAxis">The first spatial axis of the plane, −3 to 2.</param>
    /// <param name="secondAxis">The second spatial axis of the plane, −3 to 2, different from the first.</param>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="degrees"/> is NaN or outside [−180, 180], or an axis is outside [−3, 2].</exception>
    /// <exception cref="ArgumentException">The two axes are the same.</exception>
    public static IAugmentation Rotate(double degrees, int firstAxis = -2, int secondAxis = -1) => AffineAugmentation.Rotation(degrees, firstAxis, secondAxis);

    /// <summary>Shifts the content along one spatial axis by a fraction of the size (affine grid sampling).</summary>
    /// <param name="axis">The spatial axis, −3 to 2.</param>
    /// <param name="fraction">The shift as a fraction of the size along that axis, −1 to 1; positive moves content towards higher indices.</param>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is outside [−3, 2], or <paramref name="fraction"/> is NaN or outside [−1, 1].</exception>
    public static IAugmentation Translate(int axis, double fraction) => AffineAugmentation.Translation(axis, fraction);

    /// <summary>Scales the content about the centre (affine grid sampling); a factor above 1 zooms in.</summary>
    /// <param name="factor">The scale factor, 0.1 to 10.</param>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="factor"/> is NaN or outside [0.1, 10].</exception>
    public static IAugmentation Scale(double factor) => AffineAugmentation.Scaling(factor);

    /// <summary>Adds shift·(max − min) to every value of each sample.</summary>
    /// <param name="shift">The shift as a fraction of each sample's intensity range, −1 to 1.</param>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shift"/> is NaN or outside [−1, 1].</exception>
    public static IAugmentation Brightness(double shift) => new BrightnessAugmentation(shift);

    /// <summary>Scales each sample's deviations from its mean: mean + factor·(x − mean).</summary>
    /// <param name="factor">The contrast factor, 0 to 10 (1 changes nothing).</param>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="factor"/> is NaN or outside [0, 10].</exception>
    public static IAugmentation Contrast(double factor) => new ContrastAugmentation(factor);

    /// <summary>Applies a gamma curve to min–max normalised intensities and maps them back: min + range·((x − min) / range)^γ.</summary>
    /// <param name="gamma">The exponent, 0.1 to 10 (1 changes nothing; below 1 brightens).</param>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> is NaN or outside [0.1, 10].</exception>
    public static IAugmentation Gamma(double gamma) => new GammaAugmentation(gamma);

    /// <summary>Adds Gaussian noise with a standard deviation of a fraction of each sample's intensity range.</summary>
    /// <param name="fraction">The standard deviation as a fraction of the range, 0 to 1.</param>
    /// <param name="seed">The seed; the same seed gives the same noise at every call, on CPU and CUDA.</param>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is NaN or outside [0, 1].</exception>
    public static IAugmentation GaussianNoise(double fraction, int seed) => new GaussianNoiseAugmentation(fraction, seed);

    /// <summary>Blurs every channel with a Gaussian of standard deviation σ pixels along every spatial axis (kernel radius ⌈3σ⌉, edges replicated).</summary>
    /// <param name="sigma">σ in pixels, 0.05 to 10.</param>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sigma"/> is NaN or outside [0.05, 10].</exception>
    public static IAugmentation GaussianBlur(double sigma) => new GaussianBlurAugmentation(sigma);

    /// <summary>Sharpens by unsharp masking: x + amount·(x − blur(x)) with a Gaussian blur of σ = 1 pixel.</summary>
    /// <param name="amount">The amount, 0 to 10 (0 changes nothing).</param>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is NaN or outside [0, 10].</exception>
    public static IAugmentation Sharpness(double amount) => new SharpnessAugmentation(amount);

    /// <summary>Multiplies intensities above each sample's minimum by a smooth field exp(magnitude·P), P a random polynomial of degree 2 in the normalised coordinates.</summary>
    /// <param name="magnitude">The log-field scale, 0 to 2.</param>
    /// <param name="seed">The seed of P's coefficients.</param>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="magnitude"/> is NaN or outside [0, 2].</exception>
    /// <remarks>After TorchIO's RandomBiasField (Pérez-García et al. 2021, "TorchIO: a Python library for efficient loading, preprocessing, augmentation and patch-based sampling of medical images in deep learning").</remarks>
    public static IAugmentation BiasField(double magnitude, int seed) => new BiasFieldAugmentation(magnitude, seed);

    /// <summary>Applies several augmentations in order; <see cref="IAugmentation.Invert"/> undoes the geometric ones in reverse order.</summary>
    /// <param name="parts">The augmentations, at least one.</param>
    /// <returns>The composition.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parts"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="parts"/> is empty.</exception>
    public static IAugmentation Compose(params IAugmentation[] parts) => new ComposedAugmentation(parts);

    /// <summary>Builds an operation at a signed magnitude, for policy search (Lyzhov et al. 2020, "Greedy policy search").</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="magnitude">m in [−1, 1], the fraction of the operation's largest strength (see <see cref="AugmentationOperation"/>); the sign picks the direction of signed operations.</param>
    /// <param name="seed">The seed of the random operations (noise, bias field); ignored by the others.</param>
    /// <returns>The augmentation; <see cref="Identity"/> for m = 0 on operations whose strength is |m|.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="operation"/> is undefined, or <paramref name="magnitude"/> is NaN or outside [−1, 1].</exception>
    public static IAugmentation FromOperation(AugmentationOperation operation, double magnitude, int seed = 0)
    {
        var m = Preconditions.InRange(magnitude, nameof(magnitude), -1, 1);
        var strength = Math.Abs(m);
        return operation switch
        {
            AugmentationOperation.Identity => Identity,
            AugmentationOperation.Flip => Flip(m >= 0 ? -1 : -2),
            AugmentationOperation.Rot90 => Rot90(m >= 0 ? 1 : -1),
            AugmentationOperation.Rotate => Rotate(30 * m),
            AugmentationOperation.TranslateX => Translate(-1, 0.2 * m),
            AugmentationOperation.TranslateY => Translate(-2, 0.2 * m),
            AugmentationOperation.Scale => Scale(1 + (0.2 * m)),
            AugmentationOperation.Brightness => Brightness(0.2 * m),
            AugmentationOperation.Contrast => Contrast(1 + (0.5 * m)),
            AugmentationOperation.Gamma => Gamma(Math.Pow(2, m)),
            AugmentationOperation.GaussianNoise => strength == 0 ? Identity : GaussianNoise(0.1 * strength, seed),
            AugmentationOperation.GaussianBlur => strength < 0.025 ? Identity : GaussianBlur(2 * strength),
            AugmentationOperation.Sharpness => strength == 0 ? Identity : Sharpness(2 * strength),
            AugmentationOperation.BiasField => strength == 0 ? Identity : BiasField(0.5 * strength, seed),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation,
                string.Create(CultureInfo.InvariantCulture, $"operation must be a defined AugmentationOperation; found {operation}.")),
        };
    }
}
