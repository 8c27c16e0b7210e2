using System;

namespace Uqlib.Imaging;

/// <summary>One case read from a <see cref="VolumeFolderDataset"/>: its image volume and, for a labelled dataset, its label volume.</summary>
/// <remarks>Owned by the enumeration that yielded it, which disposes it when it moves on; dispose it yourself only if you stop early without ending the enumeration.</remarks>
public sealed class VolumeSample : IDisposable
{
    internal VolumeSample(VolumeCase source, NiftiVolume image, NiftiVolume? label)
    {
        Case = source;
        Image = image;
        Label = label;
    }

    /// <summary>Gets the case.</summary>
    public VolumeCase Case { get; }

    /// <summary>Gets the image volume: <c>Image.Data</c> is <c>(X, Y, Z)</c> (or with a trailing time or channel axis).</summary>
    public NiftiVolume Image { get; }

    /// <summary>Gets the label volume, or <see langword="null"/> for an unlabelled dataset.</summary>
    public NiftiVolume? Label { get; }

    /// <summary>Releases both volumes.</summary>
    public void Dispose()
    {
        Image.Dispose();
        Label?.Dispose();
    }
}
