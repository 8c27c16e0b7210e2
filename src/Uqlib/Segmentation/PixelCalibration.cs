using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using TorchSharp;
using Uqlib.Calibration;
using static TorchSharp.torch;

namespace Uqlib.Segmentation;

/// <summary>Calibration of a segmentation model pixel by pixel: the ECE over pixels (or over a region of interest) and temperature scaling fitted on pixels.</summary>
/// <remarks>
/// <para>Every pixel (voxel) is one sample of <see cref="CalibrationMetrics.Ece(Tensor, Tensor, int)"/> and
/// <see cref="TemperatureScaling.Fit(Tensor, Tensor, TemperatureScalingOptions, IProgress{EstimationProgress}, CancellationToken)"/>, whose definitions apply unchanged (Guo et al. 2017, "On calibration of
/// modern neural networks"; per voxel as in Mehrtash et al. 2020, "Confidence calibration and predictive uncertainty estimation for deep medical image
/// segmentation", who also restrict the ECE to a region around the structure because the background dominates a volume). The pixels of a region of
/// interest, and the sub-sample of the fit, are gathered from the output by index, so the fit holds at most
/// <see cref="PixelCalibrationOptions.MaxPixels"/> rows whatever the size of the volumes.</para>
/// <para>Outputs are <c>(N, C, H, W)</c> or <c>(N, C, D, H, W)</c> as in <see cref="SegmentationScores"/>; labels and the region of interest are
/// <c>(N, H, W)</c> or <c>(N, D, H, W)</c>. A fitted temperature applies to a whole output as <c>output / T</c>. Inputs are never disposed. Pure and
/// thread-safe.</para>
/// </remarks>
public static class PixelCalibration
{
    /// <summary>The expected calibration error over pixels: top-label confidence of each pixel in equal-width bins (Guo et al. 2017).</summary>
    /// <param name="output">The model's output <c>(N, C, H, W)</c> or <c>(N, C, D, H, W)</c>.</param>
    /// <param name="kind">How the output becomes probabilities.</param>
    /// <param name="labels">The true class of each pixel, <c>(N, H, W)</c> or <c>(N, D, H, W)</c>, integers in [0, C − 1] (0 or 1 for a binary model).</param>
    /// <param name="regionOfInterest">A binary mask of the labels' shape: only its pixels count; <see langword="null"/> for every pixel.</param>
    /// <param name="bins">The number of equal-width bins, from 1 to 100,000.</param>
    /// <returns>The ECE over the pixels, in [0, 1].</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> or <paramref name="labels"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The output is invalid as for <see cref="SegmentationScores.EntropyMap"/>; the labels are not of the output's shape without dimension 1, not on its device, not integers or out of range; the region of interest is not a binary mask of the labels' shape, or is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [1, 100,000].</exception>
    public static double Ece(Tensor output, OutputKind kind, Tensor labels, Tensor? regionOfInterest = null, int bins = CalibrationMetrics.DefaultBins)
    {
        Preconditions.InRange(bins, nameof(bins), 1, Preconditions.MaxBins);
        var classes = Check(output, kind, labels, regionOfInterest);
        using var scope = torch.NewDisposeScope();
        var positions = regionOfInterest is null ? null : Positions(regionOfInterest);
        var (rows, y) = Gather(output, labels, positions);
        var probabilities = kind == OutputKind.Probabilities && classes == 1
            ? rows.squeeze(1)
            : ProbabilityConversion.ToProbabilities(rows, kind);
        return CalibrationMetrics.Ece(probabilities, y, bins);
    }

    /// <summary>Fits temperature scaling on the pixels of a segmentation model's logits, sub-sampling them (seeded, without replacement) to at most <see cref="PixelCalibrationOptions.MaxPixels"/>.</summary>
    /// <param name="output">The model's validation logits <c>(N, C, H, W)</c> or <c>(N, C, D, H, W)</c>: multiclass (C ≥ 2) or one sigmoid logit (C = 1).</param>
    /// <param name="kind"><see cref="OutputKind.MulticlassLogits"/> or <see cref="OutputKind.BinaryLogit"/>.</param>
    /// <param name="labels">The true class of each pixel, <c>(N, H, W)</c> or <c>(N, D, H, W)</c>, integers in [0, C − 1] (0 or 1 for a binary model).</param>
    /// <param name="regionOfInterest">A binary mask of the labels' shape: only its pixels are eligible; <see langword="null"/> for every pixel.</param>
    /// <param name="options">The sub-sampling and the temperature bounds, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = P, the number of pixels fitted on (after sub-sampling); <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted temperature scaling (2 classes for a binary model); apply it to a whole output as <c>logits / T</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> or <paramref name="labels"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The output is invalid as for <see cref="SegmentationScores.EntropyMap"/> or <paramref name="kind"/> is not a logit kind; the labels or region of interest are invalid as for <see cref="Ece"/>; or the options are invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static TemperatureScaling FitTemperature(
        Tensor output, OutputKind kind, Tensor labels, Tensor? regionOfInterest = null, PixelCalibrationOptions? options = null,
        IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= new PixelCalibrationOptions();
        options.Validate();
        if (kind is not (OutputKind.MulticlassLogits or OutputKind.BinaryLogit))
        {
            throw new ArgumentException(
                $"Temperature scaling divides logits: kind must be MulticlassLogits or BinaryLogit; found {kind}.", nameof(kind));
        }

        Check(output, kind, labels, regionOfInterest);
        using var scope = torch.NewDisposeScope();
        var positions = regionOfInterest is null ? null : Positions(regionOfInterest);
        var eligible = positions?.shape[0] ?? (labels.numel());
        if (eligible > options.MaxPixels)
        {
            var chosen = torch.tensor(Sample(eligible, options.MaxPixels, options.Seed), device: labels.device);
            positions = positions is null ? chosen : positions.index_select(0, chosen);
        }

        var (rows, y) = Gather(output, labels, positions);
        return TemperatureScaling.Fit(rows, y, options.Temperature, progress, cancellationToken);
    }

    /// <summary><paramref name="count"/> distinct indices in [0, <paramref name="population"/>), uniformly without replacement, ascending (Floyd's algorithm, O(count) memory).</summary>
    internal static long[] Sample(long population, int count, int seed)
    {
        var random = new Random(seed);
        var chosen = new HashSet<long>(count);
        for (var j = population - count; j < population; j++)
        {
            var t = random.NextInt64(j + 1);
            chosen.Add(chosen.Contains(t) ? j : t);
        }

        var result = new long[count];
        chosen.CopyTo(result);
        Array.Sort(result);
        return result;
    }

    /// <summary>The flat indices (in the row-major order of the labels' shape) of the pixels inside the region of interest.</summary>
    private static Tensor Positions(Tensor regionOfInterest)
    {
        return regionOfInterest.reshape(-1).nonzero().squeeze(1);
    }

    /// <summary>The pixels as rows <c>(P, C)</c> with their labels <c>(P)</c>: all of them in order, or those at the given flat positions.</summary>
    private static (Tensor Rows, Tensor Labels) Gather(Tensor output, Tensor labels, Tensor? positions)
    {
        var n = output.shape[0];
        var classes = output.shape[1];
        var flatLabels = labels.reshape(-1);
        var perImage = flatLabels.shape[0] / n;
        var grid = output.reshape(n, classes, perImage);
        if (positions is null)
        {
            return (grid.permute(0, 2, 1).reshape(-1, classes), flatLabels);
        }

        var image = positions.div(perImage, rounding_mode: RoundingMode.floor);
        var pixel = positions.remainder(perImage);
        var rows = grid.index(new TensorIndex[] { TensorIndex.Tensor(image), TensorIndex.Colon, TensorIndex.Tensor(pixel) });
        return (rows, flatLabels.index_select(0, positions));
    }

    /// <summary>Checks an output, its labels and region of interest; returns the class count C of the output.</summary>
    private static long Check(Tensor output, OutputKind kind, Tensor labels, Tensor? regionOfInterest)
    {
        var classes = SegmentationScores.CheckOutput(output, kind);
        SegmentationScores.CheckValues(output, kind, classes);

        ArgumentNullException.ThrowIfNull(labels);
        if (labels.IsInvalid)
        {
            throw new ObjectDisposedException(nameof(labels), "labels has been disposed.");
        }

        var expected = new long[output.dim() - 1];
        expected[0] = output.shape[0];
        for (var i = 1; i < expected.Length; i++)
        {
            expected[i] = output.shape[i + 1];
        }

        if (!labels.shape.AsSpan().SequenceEqual(expected))
        {
            throw new ArgumentException(
                $"labels must hold one class per pixel, shape ({string.Join(", ", expected)}) for output of shape {Preconditions.ShapeText(output)}; found {Preconditions.ShapeText(labels)}.",
                nameof(labels));
        }

        if (labels.device_type != output.device_type || labels.device_index != output.device_index)
        {
            throw new ArgumentException($"labels is on {labels.device} but output is on {output.device}; they must be on one device.", nameof(labels));
        }

        Preconditions.Labels(labels, nameof(labels), Math.Max(classes, 2));
        if (regionOfInterest is not null)
        {
            Preconditions.MaskLike(labels, nameof(labels), regionOfInterest, nameof(regionOfInterest));
            using var scope = torch.NewDisposeScope();
            if (!regionOfInterest.ne(0).any().item<bool>())
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"regionOfInterest is empty: none of its {regionOfInterest.numel()} pixels is set, so there is nothing to calibrate."),
                    nameof(regionOfInterest));
            }
        }

        return classes;
    }
}
