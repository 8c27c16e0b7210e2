using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>A deterministic transformation of a batch of images <c>(N, C, H, W)</c> or volumes <c>(N, C, D, H, W)</c>, applied to every sample at once.</summary>
/// <remarks>
/// Implementations are immutable and thread-safe: a random augmentation (noise, bias field) draws from its own seed at every call, so
/// the same input always gives the same output, on CPU and on CUDA. Geometric augmentations move pixels and map a dense output back
/// with <see cref="Invert"/>; intensity augmentations leave the geometry alone and their <see cref="Invert"/> returns the outputs as they are.
/// </remarks>
public interface IAugmentation
{
    /// <summary>Gets a short description with the parameters, e.g. <c>"Rotate(10°, axes -2→-1)"</c>.</summary>
    string Name { get; }

    /// <summary>Gets a value indicating whether the augmentation moves pixels, so that dense outputs must be inverted before they are averaged.</summary>
    bool IsGeometric { get; }

    /// <summary>Applies the augmentation to every sample of a batch.</summary>
    /// <param name="inputs">Floating-point images <c>(N, C, H, W)</c> or volumes <c>(N, C, D, H, W)</c>; not disposed.</param>
    /// <returns>A new tensor; the caller disposes it. Only <c>Rot90</c> in a non-square plane changes the shape.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.ArgumentException"><paramref name="inputs"/> is not a floating-point tensor of rank 4 or 5, or is empty.</exception>
    Tensor Apply(Tensor inputs);

    /// <summary>Maps a dense output computed on augmented inputs back onto the geometry of the original inputs.</summary>
    /// <param name="outputs">Dense outputs <c>(N, C′, H, W[, D])</c> of the augmented inputs (C′ may differ from the input channels); not disposed.</param>
    /// <returns>A new tensor in the original geometry; for intensity augmentations, the outputs unchanged (a new handle). The caller disposes it.</returns>
    /// <exception cref="System.ArgumentNullException"><paramref name="outputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.ArgumentException">A geometric augmentation gets outputs that are not floating-point of rank 4 or 5.</exception>
    Tensor Invert(Tensor outputs);
}
