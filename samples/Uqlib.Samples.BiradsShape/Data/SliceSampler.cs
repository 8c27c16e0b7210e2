using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Uqlib.Samples.BiradsShape.Data;

/// <summary>Turns each 3-D tumour into many 2-D training images, as the seed study did: random 3-D rotations of the volume, parallel
/// axial planes through each rotated volume, and the axial maximum-intensity projection (MIP) of the unrotated volume.</summary>
/// <remarks>
/// Each rotation resamples only the requested planes (trilinear <c>grid_sample</c> on a rotated plane grid), not the whole volume.
/// Slices whose tumour covers fewer than <c>minimumArea</c> pixels are dropped (no tumour to label). Each kept image is normalised
/// to zero mean and unit variance, the usual MRI intensity standardisation. Deterministic for a given seed.
/// </remarks>
public static class SliceSampler
{
    /// <summary>Cuts slices from every patient's volume.</summary>
    /// <param name="volumes">The patients' volumes (not disposed).</param>
    /// <param name="rotationsPerPatient">Random rotations per patient, at least 1.</param>
    /// <param name="slicesPerRotation">Parallel axial planes per rotation, at least 1, spread over the central ±30 % of the volume.</param>
    /// <param name="seed">The seed of the rotations.</param>
    /// <param name="minimumArea">The fewest tumour pixels a kept slice has, at least 1.</param>
    /// <param name="includeMip">Whether to add each patient's axial MIP.</param>
    /// <returns>The kept slices; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="volumes"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    public static SliceSet Sample(TumourVolumes volumes, int rotationsPerPatient, int slicesPerRotation, int seed, int minimumArea = 24, bool includeMip = true)
    {
        ArgumentNullException.ThrowIfNull(volumes);
        if (rotationsPerPatient < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rotationsPerPatient), rotationsPerPatient, $"rotationsPerPatient must be at least 1; found {rotationsPerPatient}.");
        }

        if (slicesPerRotation < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(slicesPerRotation), slicesPerRotation, $"slicesPerRotation must be at least 1; found {slicesPerRotation}.");
        }

        if (minimumArea < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(minimumArea), minimumArea, $"minimumArea must be at least 1; found {minimumArea}.");
        }

        var random = new Random(SeedMixer.Mix(seed));
        var size = volumes.Size;
        using var scope = NewDisposeScope();
        var plane = PlaneGrid(size, slicesPerRotation);
        var images = new List<Tensor>();
        var masks = new List<Tensor>();
        var patients = new List<int>();
        var shapes = new List<TumourShape>();
        var isMip = new List<bool>();
        for (var p = 0; p < volumes.Count; p++)
        {
            using var patientScope = NewDisposeScope();
            var volume = stack(new[] { volumes.Images[p], volumes.Masks[p] }).unsqueeze(0).expand(rotationsPerPatient, 2, size, size, size);
            var rotations = new float[rotationsPerPatient * 9];
            for (var r = 0; r < rotationsPerPatient; r++)
            {
                var rotation = TumourGenerator.RandomRotation(random);
                for (var k = 0; k < 9; k++)
                {
                    rotations[(9 * r) + k] = (float)rotation[k / 3, k % 3];
                }
            }

            var grid = plane.reshape(1, -1, 3).matmul(tensor(rotations).reshape(rotationsPerPatient, 3, 3).transpose(1, 2))
                .reshape(rotationsPerPatient, slicesPerRotation, size, size, 3);
            var sampled = F.grid_sample(volume, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: true)
                .transpose(1, 2).reshape(-1, 2, size, size);
            var planeImages = sampled[.., 0];
            var planeMasks = sampled[.., 1].gt(0.5).to(ScalarType.Float32);
            var count = (int)planeImages.shape[0];
            var patientImages = planeImages;
            var patientMasks = planeMasks;
            if (includeMip)
            {
                patientImages = cat(new[] { planeImages, volumes.Images[p].amax(0).unsqueeze(0) });
                patientMasks = cat(new[] { planeMasks, volumes.Masks[p].amax(0).unsqueeze(0) });
            }

            var keep = patientMasks.sum(new long[] { 1, 2 }).ge(minimumArea).nonzero().reshape(-1);
            var keptCount = (int)keep.shape[0];
            if (keptCount == 0)
            {
                continue;
            }

            var kept = keep.data<long>().ToArray();
            images.Add(patientImages.index_select(0, keep).MoveToOuterDisposeScope());
            masks.Add(patientMasks.index_select(0, keep).MoveToOuterDisposeScope());
            foreach (var index in kept)
            {
                patients.Add(p);
                shapes.Add(volumes.Shapes[p]);
                isMip.Add(includeMip && index == count);
            }
        }

        if (images.Count == 0)
        {
            throw new InvalidOperationException($"No slice has a tumour of at least {minimumArea} pixels; lower minimumArea or enlarge the volumes.");
        }

        var allImages = cat(images);
        var mean = allImages.mean(new long[] { 1, 2 }, keepdim: true);
        var std = allImages.std(new long[] { 1, 2 }, keepdim: true).clamp_min(1e-6);
        var normalised = allImages.sub(mean).div(std).unsqueeze(1).MoveToOuterDisposeScope();
        var allMasks = cat(masks).MoveToOuterDisposeScope();
        return new SliceSet(normalised, allMasks, patients, shapes, isMip);
    }

    /// <summary>Points of <paramref name="planes"/> axial planes in grid_sample's (x, y, z) order, shape (planes, S, S, 3).</summary>
    private static Tensor PlaneGrid(int size, int planes)
    {
        using var scope = NewDisposeScope();
        var axis = linspace(-1.0, 1.0, size, dtype: ScalarType.Float32);
        var offsets = planes == 1 ? zeros(1, dtype: ScalarType.Float32) : linspace(-0.3, 0.3, planes, dtype: ScalarType.Float32);
        var grids = meshgrid(new[] { offsets, axis, axis }, indexing: "ij");
        return stack(new[] { grids[2], grids[1], grids[0] }, dim: -1).MoveToOuterDisposeScope();
    }
}
