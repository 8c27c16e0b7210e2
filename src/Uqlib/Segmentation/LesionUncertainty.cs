namespace Uqlib.Segmentation;

/// <summary>How the voxel uncertainty map becomes one score per predicted lesion.</summary>
public enum LesionUncertainty
{
    /// <summary>The mean over the lesion's voxels (Nair et al. 2020's lesion uncertainty).</summary>
    Mean,

    /// <summary>The maximum over the lesion's voxels.</summary>
    Max,

    /// <summary>A high percentile over the lesion's voxels (<see cref="LesionOptions.Percentile"/>).</summary>
    Percentile,

    /// <summary>The mean over the lesion's boundary band, where segmentation errors concentrate.</summary>
    BoundaryMean,
}
