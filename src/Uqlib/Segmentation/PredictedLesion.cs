namespace Uqlib.Segmentation;

/// <summary>One connected component of a predicted mask: its size, its uncertainty, and whether it matches a true lesion.</summary>
/// <param name="Image">The image (volume) it belongs to: its index in the batch, the natural cluster id for evaluation.</param>
/// <param name="Label">Its label among the image's predicted components, 1, 2, … in raster order (<see cref="ConnectedComponents"/>).</param>
/// <param name="Voxels">Its size in voxels (pixels in 2-D).</param>
/// <param name="Mean">The map's mean over its voxels.</param>
/// <param name="Max">The map's maximum over its voxels.</param>
/// <param name="Percentile">The map's <see cref="LesionOptions.Percentile"/>-th percentile over its voxels (NumPy's linear rule).</param>
/// <param name="BoundaryMean">The map's mean over its boundary band (its own mean when the band is empty).</param>
/// <param name="Dice">The largest Dice with any true lesion of the image; 0 when it overlaps none.</param>
/// <param name="IsFalsePositive">Whether no true lesion matches it (<see cref="Dice"/> below <see cref="LesionOptions.MatchThreshold"/>): a failure.</param>
public readonly record struct PredictedLesion(
    int Image, int Label, long Voxels, double Mean, double Max, double Percentile, double BoundaryMean, double Dice, bool IsFalsePositive);
