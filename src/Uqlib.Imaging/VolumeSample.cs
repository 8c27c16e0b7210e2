using System;

namespace Uqlib.Imaging;

/// <summary>One case read from a <see cref="VolumeFolderDataset"/>: its image volume and, for a labelled dataset, its label volume.</summary>
/// <remarks>Owned by the enumeration that yielded it, which disposes it when it moves on; dispose it yourself only if you stop early without ending the enumeration.</remarks>
public sealed class VolumeSample : IDisposable
{
    private readonly VolumeCase _case;
    private readonly NiftiVolume _image;
    private readonly NiftiVolume? _label;
    private bool _disposed;

    internal VolumeSample(VolumeCase source, NiftiVolume image, NiftiVolume? label)
    {
        _case = source;
        _image = image;
        _label = label;
    }

    /// <summary>Gets the case.</summary>
    /// <exception cref="ObjectDisposedException">The sample has been disposed.</exception>
    public VolumeCase Case
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _case;
        }
    }

    /// <summary>Gets the image volume: <c>Image.Data</c> is <c>(X, Y, Z)</c> (or with a trailing time or channel axis).</summary>
    /// <exception cref="ObjectDisposedException">The sample has been disposed.</exception>
    public NiftiVolume Image
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _image;
        }
    }

    /// <summary>Gets the label volume, or <see langword="null"/> for an unlabelled dataset.</summary>
    /// <exception cref="ObjectDisposedException">The sample has been disposed.</exception>
    public NiftiVolume? Label
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _label;
        }
    }

    /// <summary>Releases both volumes; later calls do nothing.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _image.Dispose();
        _label?.Dispose();
    }
}
