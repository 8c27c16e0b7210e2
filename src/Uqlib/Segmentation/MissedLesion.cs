namespace Uqlib.Segmentation;

/// <summary>A true lesion that no predicted lesion matches: a false negative, which no per-lesion uncertainty can flag.</summary>
/// <param name="Image">The image (volume) it belongs to.</param>
/// <param name="Label">Its label among the image's true components, 1, 2, … in raster order.</param>
/// <param name="Voxels">Its size in voxels (pixels in 2-D).</param>
public readonly record struct MissedLesion(int Image, int Label, long Voxels);
