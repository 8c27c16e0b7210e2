namespace Uqlib.Models;

/// <summary>How overlapping windows' outputs are blended by <see cref="SlidingWindowModel"/>.</summary>
public enum SlidingWindowBlend
{
    /// <summary>Every voxel of every window weighs the same (MONAI's <c>"constant"</c>).</summary>
    Constant,

    /// <summary>Voxels near a window's centre weigh more, by a Gaussian of σ = <see cref="SlidingWindowOptions.SigmaScale"/> × window size per axis (MONAI's <c>"gaussian"</c>).</summary>
    Gaussian,
}
