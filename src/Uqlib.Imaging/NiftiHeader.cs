using System;
using System.Collections.Generic;

namespace Uqlib.Imaging;

/// <summary>What a NIfTI file says about its volume: version, data type, shape, voxel sizes, scaling and the voxel-to-world affine.</summary>
/// <remarks>
/// <para>
/// <see cref="Affine"/> follows nibabel's <c>get_best_affine</c>: the sform when <c>sform_code</c> is not 0, else the qform (from its
/// quaternion, voxel sizes, <c>qfac</c> and offsets) when <c>qform_code</c> is not 0, else a base affine centred on the volume with x
/// flipped (the old ANALYZE convention).
/// </para>
/// <para>Immutable. A header read from a file keeps its qform and sform fields, so a volume written "like" it opens aligned in ITK-SNAP,
/// 3D Slicer and nibabel.</para>
/// </remarks>
public sealed class NiftiHeader
{
    internal NiftiHeader(NiftiHeaderFields fields, NiftiAffine affine)
    {
        Fields = fields;
        Affine = affine;
        Orientation = NiftiOrientation.FromAffine(affine);
    }

    /// <summary>Gets the NIfTI version of the file: 1 (348-byte header) or 2 (540-byte header).</summary>
    public int Version => Fields.Version;

    /// <summary>Gets the voxel data type stored in the file.</summary>
    public NiftiDataType DataType => Fields.DataType;

    /// <summary>Gets the volume's shape, <c>dim[1..dim[0]]</c>: (X, Y, Z) for a 3-D volume, (X, Y, Z, T) for a 4-D series.</summary>
    public IReadOnlyList<long> Shape => Fields.Shape;

    /// <summary>Gets the voxel sizes <c>pixdim[1..dim[0]]</c>, usually millimetres (and seconds for the fourth axis).</summary>
    public IReadOnlyList<double> VoxelSizes => Fields.VoxelSizes;

    /// <summary>Gets the voxel-to-world affine chosen by nibabel's rules (see remarks).</summary>
    public NiftiAffine Affine { get; }

    /// <summary>Gets the axis codes of <see cref="Affine"/>, such as <c>"RAS"</c> or <c>"LPS"</c>: for each voxel axis, the world direction it points to most closely.</summary>
    public string AxisCodes => Orientation.AxisCodes;

    /// <summary>Gets how the voxel axes map onto the closest canonical (RAS) orientation.</summary>
    public NiftiOrientation Orientation { get; }

    /// <summary>Gets the qform code (0 none, 1 scanner, 2 aligned, 3 Talairach, 4 MNI, 5 template).</summary>
    public int QformCode => Fields.QformCode;

    /// <summary>Gets the sform code (0 none, 1 scanner, 2 aligned, 3 Talairach, 4 MNI, 5 template).</summary>
    public int SformCode => Fields.SformCode;

    /// <summary>Gets the scaling slope <c>scl_slope</c> as stored; 0 or a non-finite value means the data are not scaled.</summary>
    public double ScaleSlope => Fields.ScaleSlope;

    /// <summary>Gets the scaling intercept <c>scl_inter</c> as stored; ignored when the data are not scaled.</summary>
    public double ScaleIntercept => Fields.ScaleIntercept;

    /// <summary>Gets a value indicating whether voxel values are scaled on reading, as the standard says: value × <c>scl_slope</c> + <c>scl_inter</c> when the slope is finite and not 0.</summary>
    public bool IsScaled => Fields.IsScaled;

    /// <summary>Gets the free-text description (<c>descrip</c>).</summary>
    public string Description => Fields.Description;

    internal NiftiHeaderFields Fields { get; }
}
