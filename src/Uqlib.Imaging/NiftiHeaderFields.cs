using System;
using System.Collections.Generic;

namespace Uqlib.Imaging;

/// <summary>The header fields Uqlib reads from and writes to NIfTI files, as stored (float32 fields of NIfTI-1 widened exactly).</summary>
internal sealed record NiftiHeaderFields
{
    public required int Version { get; init; }

    public required bool BigEndian { get; init; }

    public required NiftiDataType DataType { get; init; }

    public required IReadOnlyList<long> Shape { get; init; }

    public required IReadOnlyList<double> VoxelSizes { get; init; }

    /// <summary>Gets <c>pixdim[0]</c>: the qform's handedness, −1 or 1 (0 read as 1, as the standard says).</summary>
    public required double Qfac { get; init; }

    public required long VoxOffset { get; init; }

    public required double ScaleSlope { get; init; }

    public required double ScaleIntercept { get; init; }

    public required int XyztUnits { get; init; }

    public required string Description { get; init; }

    public required int QformCode { get; init; }

    public required int SformCode { get; init; }

    /// <summary>Gets the quaternion's b, c, d and the offsets x, y, z.</summary>
    public required IReadOnlyList<double> Quaternion { get; init; }

    /// <summary>Gets <c>srow_x</c>, <c>srow_y</c> and <c>srow_z</c>, twelve values row by row.</summary>
    public required IReadOnlyList<double> SformRows { get; init; }

    public bool IsScaled => ScaleSlope != 0 && double.IsFinite(ScaleSlope);

    /// <summary>Gets the number of values the data hold: voxels × channels (three for RGB24).</summary>
    public long ValueCount
    {
        get
        {
            long count = DataType == NiftiDataType.Rgb24 ? 3 : 1;
            foreach (long d in Shape)
            {
                count *= d;
            }

            return count;
        }
    }

    /// <summary>Gets the bytes per stored value (per channel for RGB24).</summary>
    public int BytesPerValue => BytesOf(DataType);

    public static int BytesOf(NiftiDataType type) => type switch
    {
        NiftiDataType.UInt8 or NiftiDataType.Int8 or NiftiDataType.Rgb24 => 1,
        NiftiDataType.Int16 or NiftiDataType.UInt16 => 2,
        NiftiDataType.Int32 or NiftiDataType.Float32 => 4,
        NiftiDataType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown NIfTI data type."),
    };

    /// <summary>The affine by nibabel's <c>get_best_affine</c>: sform, else qform, else the centred base affine.</summary>
    public NiftiAffine BestAffine()
    {
        if (SformCode != 0)
        {
            Span<double> rows = stackalloc double[12];
            for (int i = 0; i < 12; i++)
            {
                rows[i] = SformRows[i];
            }

            return NiftiAffine.FromRows(rows);
        }

        return QformCode != 0 ? QformAffine() : BaseAffine();
    }

    /// <summary>The qform affine: rotation from the unit quaternion (a = √(1 − b² − c² − d²), 0 when slightly negative) times the voxel sizes, z scaled by qfac.</summary>
    private NiftiAffine QformAffine()
    {
        double b = Quaternion[0], c = Quaternion[1], d = Quaternion[2];
        double w2 = 1.0 - ((b * b) + (c * c) + (d * d));
        double a = w2 < 0 ? 0 : Math.Sqrt(w2);
        double n = (a * a) + (b * b) + (c * c) + (d * d);
        Span<double> r = stackalloc double[9];
        if (n < 1e-300)
        {
            r[0] = r[4] = r[8] = 1;
        }
        else
        {
            double s = 2.0 / n;
            double x = b * s, y = c * s, z = d * s;
            double wx = a * x, wy = a * y, wz = a * z;
            double xx = b * x, xy = b * y, xz = b * z;
            double yy = c * y, yz = c * z, zz = d * z;
            r[0] = 1.0 - (yy + zz);
            r[1] = xy - wz;
            r[2] = xz + wy;
            r[3] = xy + wz;
            r[4] = 1.0 - (xx + zz);
            r[5] = yz - wx;
            r[6] = xz - wy;
            r[7] = yz + wx;
            r[8] = 1.0 - (xx + yy);
        }

        Span<double> zooms = stackalloc double[3];
        for (int i = 0; i < 3; i++)
        {
            zooms[i] = i < VoxelSizes.Count ? VoxelSizes[i] : 1.0;
        }

        zooms[2] *= Qfac;
        Span<double> rows = stackalloc double[12];
        for (int row = 0; row < 3; row++)
        {
            for (int col = 0; col < 3; col++)
            {
                rows[(row * 4) + col] = r[(row * 3) + col] * zooms[col];
            }

            rows[(row * 4) + 3] = Quaternion[3 + row];
        }

        return NiftiAffine.FromRows(rows);
    }

    /// <summary>nibabel's base affine: voxel sizes on the diagonal with x negated, the origin at the volume's centre.</summary>
    private NiftiAffine BaseAffine()
    {
        Span<double> rows = stackalloc double[12];
        for (int i = 0; i < 3; i++)
        {
            double size = i < Shape.Count ? Shape[i] : 1;
            double zoom = i < VoxelSizes.Count ? VoxelSizes[i] : 1.0;
            if (i == 0)
            {
                zoom = -zoom;
            }

            rows[(i * 4) + i] = zoom;
            rows[(i * 4) + 3] = -((size - 1) / 2.0) * zoom;
        }

        return NiftiAffine.FromRows(rows);
    }
}
