using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Segmentation;

/// <summary>Every predicted lesion of a batch with its uncertainty and failure label, and the true lesions no prediction found.</summary>
/// <remarks>
/// Feed it to the ordinary evaluator: <see cref="Scores"/> ranks the predicted lesions, <see cref="FalsePositives"/> says which are
/// failures, and <see cref="Images"/> gives each lesion's image as its cluster, since lesions of one volume are not independent.
/// Immutable and thread-safe.
/// </remarks>
public sealed class LesionTable
{
    private readonly PredictedLesion[] _predicted;
    private readonly MissedLesion[] _missed;
    private readonly int[] _images;

    internal LesionTable(PredictedLesion[] predicted, MissedLesion[] missed, int trueLesions, int imageCount)
    {
        _predicted = predicted;
        _missed = missed;
        TrueLesionCount = trueLesions;
        ImageCount = imageCount;
        _images = new int[predicted.Length];
        for (int i = 0; i < predicted.Length; i++)
        {
            _images[i] = predicted[i].Image;
        }
    }

    /// <summary>Gets the predicted lesions, image by image, each image's in label order.</summary>
    public IReadOnlyList<PredictedLesion> Predicted => _predicted;

    /// <summary>Gets the true lesions that no predicted lesion matches (false negatives).</summary>
    public IReadOnlyList<MissedLesion> Missed => _missed;

    /// <summary>Gets the number of true lesions over all images.</summary>
    public int TrueLesionCount { get; }

    /// <summary>Gets the number of images analysed.</summary>
    public int ImageCount { get; }

    /// <summary>Gets each predicted lesion's image index: the cluster ids for evaluating lesions of the same volume together.</summary>
    public IReadOnlyList<int> Images => _images;

    /// <summary>Gets the lesion-level sensitivity: the share of true lesions matched by a prediction; undefined without true lesions.</summary>
    /// <exception cref="InvalidOperationException">There are no true lesions, so the share is undefined.</exception>
    public double Sensitivity => TrueLesionCount == 0
        ? throw new InvalidOperationException("No image has a true lesion: lesion-level sensitivity is undefined.")
        : 1.0 - ((double)_missed.Length / TrueLesionCount);

    /// <summary>One uncertainty score per predicted lesion, higher = more uncertain.</summary>
    /// <param name="which">Which aggregation of the voxel map.</param>
    /// <returns>Scores <c>(L)</c>, float64 on the CPU; the caller disposes them.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="which"/> is not a defined <see cref="LesionUncertainty"/>.</exception>
    public Tensor Scores(LesionUncertainty which)
    {
        if (!Enum.IsDefined(which))
        {
            throw new ArgumentOutOfRangeException(nameof(which), which, "which must be a defined LesionUncertainty.");
        }

        var values = new double[_predicted.Length];
        for (int i = 0; i < values.Length; i++)
        {
            var p = _predicted[i];
            values[i] = which switch
            {
                LesionUncertainty.Mean => p.Mean,
                LesionUncertainty.Max => p.Max,
                LesionUncertainty.Percentile => p.Percentile,
                _ => p.BoundaryMean,
            };
        }

        return torch.tensor(values, ScalarType.Float64);
    }

    /// <summary>The failure label of each predicted lesion: true for a false positive (no matching true lesion).</summary>
    /// <returns>Labels <c>(L)</c>, bool on the CPU; the caller disposes them.</returns>
    public Tensor FalsePositives()
    {
        var values = new bool[_predicted.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = _predicted[i].IsFalsePositive;
        }

        return torch.tensor(values);
    }
}
