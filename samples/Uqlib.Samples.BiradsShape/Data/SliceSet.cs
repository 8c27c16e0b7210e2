using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Data;

/// <summary>2-D slices cut from patients' volumes, with their masks and where each came from. Owns its tensors.</summary>
public sealed class SliceSet : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="SliceSet"/> class, taking ownership of the tensors.</summary>
    /// <param name="images">Slices <c>(N, 1, H, W)</c>, float32, each normalised to zero mean and unit variance.</param>
    /// <param name="masks">Tumour masks <c>(N, H, W)</c>, float32 in {0, 1}.</param>
    /// <param name="patients">Each slice's patient index.</param>
    /// <param name="shapes">Each slice's patient-level tumour shape.</param>
    /// <param name="isMip">Whether each slice is an axial maximum-intensity projection rather than a plane.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The lengths disagree.</exception>
    public SliceSet(Tensor images, Tensor masks, IReadOnlyList<int> patients, IReadOnlyList<TumourShape> shapes, IReadOnlyList<bool> isMip)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(masks);
        ArgumentNullException.ThrowIfNull(patients);
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(isMip);
        var n = images.shape[0];
        if (masks.shape[0] != n || patients.Count != n || shapes.Count != n || isMip.Count != n)
        {
            throw new ArgumentException(
                $"All parts of a slice set must have the same length; found images {n}, masks {masks.shape[0]}, patients {patients.Count}, shapes {shapes.Count}, isMip {isMip.Count}.",
                nameof(images));
        }

        Images = images;
        Masks = masks;
        Patients = patients;
        Shapes = shapes;
        IsMip = isMip;
    }

    /// <summary>Gets the slices <c>(N, 1, H, W)</c>, float32, each normalised to zero mean and unit variance.</summary>
    public Tensor Images { get; }

    /// <summary>Gets the tumour masks <c>(N, H, W)</c>, float32 in {0, 1}.</summary>
    public Tensor Masks { get; }

    /// <summary>Gets each slice's patient index.</summary>
    public IReadOnlyList<int> Patients { get; }

    /// <summary>Gets each slice's patient-level tumour shape.</summary>
    public IReadOnlyList<TumourShape> Shapes { get; }

    /// <summary>Gets whether each slice is an axial maximum-intensity projection.</summary>
    public IReadOnlyList<bool> IsMip { get; }

    /// <summary>Gets the number of slices.</summary>
    public int Count => Patients.Count;

    /// <summary>Returns a new set holding the chosen slices, in the given order.</summary>
    /// <param name="indices">Indices into this set, each in [0, <see cref="Count"/>).</param>
    /// <returns>The subset; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="indices"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range.</exception>
    public SliceSet Select(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var rows = new long[indices.Count];
        var patients = new int[indices.Count];
        var shapes = new TumourShape[indices.Count];
        var isMip = new bool[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            var index = indices[i];
            if (index < 0 || index >= Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), index, $"indices[{i}] must be in [0, {Count}); found {index}.");
            }

            rows[i] = index;
            patients[i] = Patients[index];
            shapes[i] = Shapes[index];
            isMip[i] = IsMip[index];
        }

        using var rowTensor = tensor(rows);
        return new SliceSet(Images.index_select(0, rowTensor), Masks.index_select(0, rowTensor), patients, shapes, isMip);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Images.Dispose();
        Masks.Dispose();
    }
}
