using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Data;

/// <summary>A set of synthetic patients: one MRI-like volume and one tumour mask each. Owns its tensors.</summary>
public sealed class TumourVolumes : IDisposable
{
    internal TumourVolumes(Tensor images, Tensor masks, IReadOnlyList<TumourShape> shapes)
    {
        Images = images;
        Masks = masks;
        Shapes = shapes;
    }

    /// <summary>Gets the intensities <c>(P, S, S, S)</c>, float32, axial slices along dimension 1.</summary>
    public Tensor Images { get; }

    /// <summary>Gets the tumour masks <c>(P, S, S, S)</c>, float32 in {0, 1}.</summary>
    public Tensor Masks { get; }

    /// <summary>Gets each patient's tumour shape.</summary>
    public IReadOnlyList<TumourShape> Shapes { get; }

    /// <summary>Gets the number of patients.</summary>
    public int Count => Shapes.Count;

    /// <summary>Gets the side S of each cubic volume, in voxels.</summary>
    public int Size => (int)Images.shape[1];

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Masks.Dispose();
    }
}
