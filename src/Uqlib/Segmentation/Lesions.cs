using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using TorchSharp;
using Uqlib.Evaluation;
using static TorchSharp.torch;

namespace Uqlib.Segmentation;

/// <summary>Per-lesion uncertainty and failures: the structure-wise view of a segmentation, where a clinician reviews lesions, not voxels.</summary>
/// <remarks>
/// Follows Nair et al. 2020 ("Exploring uncertainty measures in deep networks for multiple sclerosis lesion detection and segmentation",
/// MedIA 59) and ivadomed's structure-wise uncertainty: lesions are the connected components of the masks; a predicted lesion's
/// uncertainty aggregates the voxel map over it; a predicted lesion that matches no true lesion (Dice below a threshold) is a false
/// positive — the failure to find — and a true lesion no prediction matches is missed.
/// </remarks>
public static class Lesions
{
    /// <summary>Finds, scores and labels the predicted lesions of a batch against the true masks.</summary>
    /// <param name="map">The voxel uncertainty map <c>(N, H, W)</c> or <c>(N, D, H, W)</c>, floating point and finite.</param>
    /// <param name="predictedMasks">The predicted masks, of the map's shape: bool, or values 0 and 1.</param>
    /// <param name="trueMasks">The true masks, of the map's shape: bool, or values 0 and 1.</param>
    /// <param name="options">Connectivity, match threshold, percentile and band width, or <see langword="null"/> for the defaults.</param>
    /// <returns>The lesion table. No argument is disposed.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The map is empty, of rank other than 3 or 4, or not finite; a mask's shape differs or it holds a value other than 0 and 1; or <paramref name="options"/> is invalid or its connectivity does not fit the rank.</exception>
    public static LesionTable Analyze(Tensor map, Tensor predictedMasks, Tensor trueMasks, LesionOptions? options = null)
    {
        Preconditions.Map(map, nameof(map));
        Preconditions.MaskLike(map, nameof(map), predictedMasks, nameof(predictedMasks));
        Preconditions.MaskLike(map, nameof(map), trueMasks, nameof(trueMasks));
        options ??= new LesionOptions();
        options.Validate();
        int rank = (int)map.dim() - 1;
        var connectivity = options.Connectivity ?? (rank == 2 ? Connectivity.Eight : Connectivity.TwentySix);
        ConnectedComponents.CheckConnectivity(connectivity, rank, nameof(options));

        using var scope = torch.NewDisposeScope();
        var values = map.to(ScalarType.Float64).cpu().contiguous();
        var predicted = predictedMasks.to(ScalarType.Byte).cpu().contiguous();
        var truth = trueMasks.to(ScalarType.Byte).cpu().contiguous();
        var band = MapAggregation.BoundaryBand(predicted, options.BandWidth).to(ScalarType.Byte).contiguous();
        var size = ConnectedComponents.Dimensions(map[0]);
        int voxels = checked(size.D * size.H * size.W);
        var predictedLabels = new int[voxels];
        var trueLabels = new int[voxels];
        var owners = new int[voxels];
        var rows = new List<PredictedLesion>();
        var missed = new List<MissedLesion>();
        int trueCount = 0;
        for (int image = 0; image < map.shape[0]; image++)
        {
            using var imageScope = torch.NewDisposeScope();
            int pn = ConnectedComponents.LabelCore(predicted[image].bytes, predictedLabels, size, connectivity);
            Array.Clear(trueLabels);
            int tn = ConnectedComponents.LabelCore(truth[image].bytes, trueLabels, size, connectivity);
            trueCount += tn;
            Owners(predictedLabels, size, options.BandWidth, owners);
            var imageValues = MemoryMarshal.Cast<byte, double>(values[image].bytes);
            AnalyzeImage(image, imageValues, predictedLabels, pn, trueLabels, tn, band[image].bytes, owners, options, rows, missed);
            Array.Clear(predictedLabels);
        }

        return new LesionTable(rows.ToArray(), missed.ToArray(), trueCount, (int)map.shape[0]);
    }

    /// <summary>Each voxel's lesion: its own label inside a lesion, else the largest label within the band width (a max filter).</summary>
    private static void Owners(int[] labels, (int D, int H, int W) size, int width, int[] owners)
    {
        using var scope = torch.NewDisposeScope();
        var t = torch.tensor(labels, ScalarType.Int32).to(ScalarType.Float64).reshape(1, 1, size.D, size.H, size.W);
        long k = (2 * width) + 1;
        long kz = size.D == 1 ? 1 : k;
        var grown = nn.functional.max_pool3d(t, new[] { kz, k, k }, new long[] { 1, 1, 1 }, new[] { kz / 2, width, width });
        var flat = grown.reshape(-1).to(ScalarType.Int32).contiguous();
        MemoryMarshal.Cast<byte, int>(flat.bytes).CopyTo(owners);
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] > 0)
            {
                owners[i] = labels[i];
            }
        }
    }

    private static void AnalyzeImage(
        int image,
        ReadOnlySpan<double> values,
        int[] predictedLabels,
        int pn,
        int[] trueLabels,
        int tn,
        ReadOnlySpan<byte> band,
        int[] owners,
        LesionOptions options,
        List<PredictedLesion> rows,
        List<MissedLesion> missed)
    {
        var count = new long[pn + 1];
        var trueSize = new long[tn + 1];
        var sum = new double[pn + 1];
        var max = new double[pn + 1];
        var bandSum = new double[pn + 1];
        var bandCount = new long[pn + 1];
        var overlap = new Dictionary<long, long>();
        Array.Fill(max, double.NegativeInfinity);
        for (int i = 0; i < values.Length; i++)
        {
            int p = predictedLabels[i], t = trueLabels[i];
            trueSize[t]++;
            if (band[i] != 0 && owners[i] > 0)
            {
                bandSum[owners[i]] += values[i];
                bandCount[owners[i]]++;
            }

            if (p == 0)
            {
                continue;
            }

            count[p]++;
            sum[p] += values[i];
            max[p] = Math.Max(max[p], values[i]);
            if (t > 0)
            {
                long key = ((long)p << 32) | (uint)t;
                overlap[key] = overlap.GetValueOrDefault(key) + 1;
            }
        }

        var bestForPredicted = new double[pn + 1];
        var bestForTrue = new double[tn + 1];
        foreach (var (key, shared) in overlap)
        {
            int p = (int)(key >> 32), t = (int)(key & 0xFFFFFFFF);
            double dice = 2.0 * shared / (count[p] + trueSize[t]);
            bestForPredicted[p] = Math.Max(bestForPredicted[p], dice);
            bestForTrue[t] = Math.Max(bestForTrue[t], dice);
        }

        var lesionValues = Grouped(values, predictedLabels, count);
        for (int p = 1; p <= pn; p++)
        {
            var own = lesionValues[p];
            Array.Sort(own);
            double mean = sum[p] / count[p];
            rows.Add(new PredictedLesion(
                image,
                p,
                count[p],
                mean,
                max[p],
                Bootstrap.Quantile(own, options.Percentile / 100.0),
                bandCount[p] > 0 ? bandSum[p] / bandCount[p] : mean,
                bestForPredicted[p],
                bestForPredicted[p] < options.MatchThreshold));
        }

        for (int t = 1; t <= tn; t++)
        {
            if (bestForTrue[t] < options.MatchThreshold)
            {
                missed.Add(new MissedLesion(image, t, trueSize[t]));
            }
        }
    }

    private static double[][] Grouped(ReadOnlySpan<double> values, int[] labels, long[] count)
    {
        var groups = new double[count.Length][];
        var filled = new int[count.Length];
        for (int p = 1; p < count.Length; p++)
        {
            groups[p] = new double[count[p]];
        }

        groups[0] = [];
        for (int i = 0; i < labels.Length; i++)
        {
            int p = labels[i];
            if (p > 0)
            {
                groups[p][filled[p]++] = values[i];
            }
        }

        return groups;
    }
}
