namespace Uqlib.Models;

/// <summary>How an input smaller than the window is padded up to it by <see cref="SlidingWindowModel"/>.</summary>
public enum SlidingWindowPadding
{
    /// <summary>With <see cref="SlidingWindowOptions.PaddingValue"/> (MONAI's default, <c>"constant"</c> with 0).</summary>
    Constant,

    /// <summary>By mirroring the input about its edge voxel, which is not repeated (<c>"reflect"</c>).</summary>
    Reflect,

    /// <summary>By repeating the edge voxel (<c>"replicate"</c>).</summary>
    Replicate,
}
