using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Imaging;

/// <summary>A volume read from a NIfTI file: its header and its data as a tensor in nibabel's index order.</summary>
/// <remarks>
/// <see cref="Data"/> is <c>(X, Y, Z)</c> for a 3-D volume, <c>(X, Y, Z, T)</c> for a series and <c>(X, Y, Z, 3)</c> for RGB24, indexed
/// like nibabel's array (<c>Data[i, j, k]</c> is voxel (i, j, k) of the affine), contiguous, on the CPU, with scaling applied. The volume
/// owns the tensor: dispose the volume (or detach a copy with <c>Data.clone()</c>) when done.
/// </remarks>
public sealed class NiftiVolume : IDisposable
{
    private readonly Tensor _data;
    private readonly NiftiHeader _header;
    private bool _disposed;

    internal NiftiVolume(NiftiHeader header, Tensor data)
    {
        _header = header;
        _data = data;
    }

    /// <summary>Gets the file's header: shape, voxel sizes, affine, orientation.</summary>
    /// <exception cref="ObjectDisposedException">The volume has been disposed.</exception>
    public NiftiHeader Header
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _header;
        }
    }

    /// <summary>Gets the data, owned by this volume (see remarks).</summary>
    /// <exception cref="ObjectDisposedException">The volume has been disposed.</exception>
    public Tensor Data
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _data;
        }
    }

    /// <summary>Gets the voxel-to-world affine (<see cref="NiftiHeader.Affine"/>).</summary>
    /// <exception cref="ObjectDisposedException">The volume has been disposed.</exception>
    public NiftiAffine Affine
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _header.Affine;
        }
    }

    /// <summary>The volume reoriented to the closest canonical orientation (RAS), as <c>nibabel.as_closest_canonical</c>: the data flipped and transposed, the affine changed to match.</summary>
    /// <returns>The data in canonical order and the affine that maps its indices to the same world points; the caller disposes the tensor.</returns>
    /// <exception cref="ObjectDisposedException">The volume has been disposed.</exception>
    /// <remarks>Undo it for a map computed on the canonical data with <see cref="NiftiOrientation.FromCanonical(Tensor)"/> of <see cref="NiftiHeader.Orientation"/>, then write the map with <see cref="Nifti.Write(string, Tensor, NiftiHeader)"/> and this header.</remarks>
    public (Tensor Data, NiftiAffine Affine) ToCanonical()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var orientation = Header.Orientation;
        return (orientation.ToCanonical(_data), orientation.CanonicalAffine(Header.Affine, Header.Shape));
    }

    /// <summary>A new volume holding this one reoriented to RAS, with a header whose sform is the canonical affine (qform dropped).</summary>
    internal NiftiVolume ToCanonicalVolume()
    {
        var (data, affine) = ToCanonical();
        var f = Header.Fields;
        var axes = Header.Orientation.WorldAxes;
        var shape = new long[f.Shape.Count];
        var zooms = new double[f.VoxelSizes.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            int target = i < 3 && axes[i] < shape.Length ? axes[i] : i;
            shape[target] = f.Shape[i];
            zooms[target] = f.VoxelSizes[i];
        }

        var rows = new double[12];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 4; c++)
            {
                rows[(r * 4) + c] = affine[r, c];
            }
        }

        var fields = f with
        {
            Shape = shape,
            VoxelSizes = zooms,
            SformCode = f.SformCode != 0 ? f.SformCode : (f.QformCode != 0 ? f.QformCode : 2),
            QformCode = 0,
            SformRows = rows,
        };
        return new NiftiVolume(new NiftiHeader(fields, affine), data);
    }

    /// <summary>Releases the data tensor.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _data.Dispose();
    }
}
