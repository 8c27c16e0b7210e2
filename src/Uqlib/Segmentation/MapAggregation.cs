using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Segmentation;

/// <summary>Image-level uncertainty scores <c>(N)</c> from a per-pixel/voxel uncertainty map, or from the masks predicted by several members or augmentations.</summary>
/// <remarks>
/// <para>
/// Maps are <c>(N, H, W)</c> (2-D) or <c>(N, D, H, W)</c> (3-D), floating point and finite; a predicted mask has exactly the map's shape
/// and is bool or holds only 0 and 1. A stack of members' masks is <c>(M, N, H, W)</c> or <c>(M, N, D, H, W)</c>. Every score is higher
/// for a more uncertain image, so it can rank images for review (Jungo &amp; Reyes 2019, "Assessing reliability and challenges of uncertainty
/// estimations for medical image segmentation", aggregate maps the same ways). Map scores have the map's dtype; member scores are float64.
/// Inputs are never disposed; the caller disposes the results.
/// </para>
/// <para>Pure and thread-safe; runs on the tensors' device.</para>
/// </remarks>
public static class MapAggregation
{
    /// <summary>The width of the boundary band used when none is given, in pixels on each side of the boundary.</summary>
    public const int DefaultBandWidth = 1;

    /// <summary>The percentile used by <see cref="Percentile(Tensor, double)"/> when none is given.</summary>
    public const double DefaultPercentile = 95.0;

    /// <summary>The mean of the map over each whole image.</summary>
    /// <param name="map">The uncertainty map <c>(N, H, W)</c> or <c>(N, D, H, W)</c>.</param>
    /// <returns>Scores <c>(N)</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="map"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="map"/> is empty, of rank other than 3 or 4, not floating point, or holds NaN or infinite values.</exception>
    /// <remarks>The image-level mean of Jungo &amp; Reyes 2019 (and Roy et al. 2019's mean voxel uncertainty).</remarks>
    public static Tensor Mean(Tensor map)
    {
        Preconditions.Map(map, nameof(map));
        using var scope = torch.NewDisposeScope();
        return OutputDtype.PerCase(map.flatten(1).mean(new long[] { 1 })).MoveToOuterDisposeScope();
    }

    /// <summary>The mean of the map over each image's predicted foreground; an image with an empty predicted foreground scores the mean over the whole image.</summary>
    /// <param name="map">The uncertainty map <c>(N, H, W)</c> or <c>(N, D, H, W)</c>.</param>
    /// <param name="predictedMask">The predicted foreground, of the map's shape: bool, or values 0 and 1.</param>
    /// <returns>Scores <c>(N)</c>, never NaN.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="map"/> is empty, of rank other than 3 or 4, or holds NaN or infinite values; the shapes or devices differ; or the mask holds a value other than 0 and 1.</exception>
    /// <remarks>
    /// The foreground aggregation of Jungo &amp; Reyes 2019. With no foreground there is no region to average over; falling back to the
    /// whole-image mean keeps the score comparable and lets an image whose target was missed, but whose map is uncertain, still rank high.
    /// </remarks>
    public static Tensor ForegroundMean(Tensor map, Tensor predictedMask)
    {
        Preconditions.Map(map, nameof(map));
        Preconditions.MaskLike(map, nameof(map), predictedMask, nameof(predictedMask));
        using var scope = torch.NewDisposeScope();
        return OutputDtype.PerCase(RegionMean(map, predictedMask.to(map.dtype))).MoveToOuterDisposeScope();
    }

    /// <summary>The band of a given width around each predicted boundary: the morphological dilation of the mask minus its erosion, by a square (cube) of side 2·<paramref name="width"/> + 1.</summary>
    /// <param name="predictedMask">The predicted foreground <c>(N, H, W)</c> or <c>(N, D, H, W)</c>: bool, or values 0 and 1.</param>
    /// <param name="width">The band's half-width in pixels, from 1 to 1,024: the band holds the pixels within <paramref name="width"/> steps (8- or 26-connected) of the boundary, on either side.</param>
    /// <returns>A bool mask <c>(N, H, W)</c> or <c>(N, D, H, W)</c>, empty for an empty or all-foreground mask.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="predictedMask"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The mask is empty, of rank other than 3 or 4, or holds a value other than 0 and 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="width"/> is outside [1, 1,024].</exception>
    /// <remarks>
    /// Dilation and erosion are batched (separable) max-pool operations (erosion = 1 − dilation of 1 − mask); pixels outside the image count neither as
    /// foreground for the dilation nor as background for the erosion, so the image edge is not a boundary. This equals SciPy's
    /// <c>binary_dilation(m, ones((3,)*d), iterations=width) &amp; ~binary_erosion(m, ones((3,)*d), iterations=width, border_value=1)</c>.
    /// </remarks>
    public static Tensor BoundaryBand(Tensor predictedMask, int width = DefaultBandWidth)
    {
        ArgumentNullException.ThrowIfNull(predictedMask);
        Preconditions.Tensor(predictedMask, nameof(predictedMask), 3, 4);
        Preconditions.NotEmpty(predictedMask, nameof(predictedMask));
        Preconditions.BinaryMask(predictedMask, nameof(predictedMask));
        Preconditions.InRange(width, nameof(width), 1, 1024);
        using var scope = torch.NewDisposeScope();
        return BandCore(predictedMask.to(ScalarType.Float32), width).gt(0.5).MoveToOuterDisposeScope();
    }

    /// <summary>The mean of the map over a band of a given width around each predicted boundary; an image whose band is empty (empty or all-foreground mask) scores the mean over the whole image.</summary>
    /// <param name="map">The uncertainty map <c>(N, H, W)</c> or <c>(N, D, H, W)</c>.</param>
    /// <param name="predictedMask">The predicted foreground, of the map's shape: bool, or values 0 and 1.</param>
    /// <param name="width">The band's half-width in pixels, from 1 to 1,024 (see <see cref="BoundaryBand(Tensor, int)"/>).</param>
    /// <returns>Scores <c>(N)</c>, never NaN.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="map"/> is empty, of rank other than 3 or 4, or holds NaN or infinite values; the shapes or devices differ; or the mask holds a value other than 0 and 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="width"/> is outside [1, 1,024].</exception>
    /// <remarks>
    /// Segmentation errors concentrate on object boundaries, where uncertainty is highest even for a good segmentation; averaging over the
    /// boundary band (Jungo &amp; Reyes 2019; Mehrtash et al. 2020, "Confidence calibration and predictive uncertainty estimation for deep
    /// medical image segmentation", who evaluate uncertainty near the predicted boundary) separates a wide uncertain band from a thin one.
    /// </remarks>
    public static Tensor BoundaryMean(Tensor map, Tensor predictedMask, int width = DefaultBandWidth)
    {
        Preconditions.Map(map, nameof(map));
        Preconditions.MaskLike(map, nameof(map), predictedMask, nameof(predictedMask));
        Preconditions.InRange(width, nameof(width), 1, 1024);
        using var scope = torch.NewDisposeScope();
        return OutputDtype.PerCase(RegionMean(map, BandCore(predictedMask.to(map.dtype), width))).MoveToOuterDisposeScope();
    }

    /// <summary>A high percentile of the map over each image, with linear interpolation between order statistics.</summary>
    /// <param name="map">The uncertainty map <c>(N, H, W)</c> or <c>(N, D, H, W)</c>.</param>
    /// <param name="percentile">The percentile q, in [0, 100] (0 the minimum, 100 the maximum).</param>
    /// <returns>Scores <c>(N)</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="map"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="map"/> is empty, of rank other than 3 or 4, or holds NaN or infinite values.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="percentile"/> is NaN or outside [0, 100].</exception>
    /// <remarks>
    /// NumPy's default (<c>numpy.percentile(..., method="linear")</c>, Hyndman &amp; Fan 1996 type 7): with P values sorted, position
    /// h = (P − 1)·q/100 and the value x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎). A high percentile scores a small, very uncertain region that a
    /// mean over a large image would dilute (Jungo &amp; Reyes 2019). Computed with two selections per image, not a sort.
    /// </remarks>
    public static Tensor Percentile(Tensor map, double percentile = DefaultPercentile)
    {
        Preconditions.Map(map, nameof(map));
        Preconditions.InRange(percentile, nameof(percentile), 0, 100);
        using var values = map.flatten(1);
        return OutputDtype.PerCase(RowPercentile.Of(values, percentile));
    }

    /// <summary>The coefficient of variation of the predicted volume across members (or augmentations): the standard deviation of the foreground voxel counts over their mean.</summary>
    /// <param name="memberMasks">The members' predicted masks <c>(M, N, H, W)</c> or <c>(M, N, D, H, W)</c>, M ≥ 2: bool, or values 0 and 1.</param>
    /// <returns>Scores <c>(N)</c> in float64, ≥ 0; 0 for an image that every member predicts empty.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="memberMasks"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The stack is empty, of rank other than 4 or 5, has fewer than 2 members, or holds a value other than 0 and 1.</exception>
    /// <remarks>
    /// Roy, Conjeti, Navab &amp; Wachinger 2019, "Bayesian QuickNAT: model uncertainty in deep whole-brain segmentation for structure-wise
    /// quality control" (NeuroImage 195): CV = σ_V / μ_V over the M volumes V₁…V_M, with the population standard deviation (divisor M).
    /// Volumes are voxel counts; multiply by the voxel volume for physical units, which the ratio ignores.
    /// </remarks>
    public static Tensor VolumeCoefficientOfVariation(Tensor memberMasks)
    {
        Preconditions.MemberMasks(memberMasks, nameof(memberMasks));
        using var scope = torch.NewDisposeScope();
        var volumes = memberMasks.flatten(2).sum(2, type: ScalarType.Float64);
        var mean = volumes.mean(new long[] { 0 });
        var deviation = volumes.sub(mean).square().mean(new long[] { 0 }).sqrt_();
        return OutputDtype.PerCase(torch.where(mean.gt(0), deviation.div(mean.clamp_min(1)), torch.zeros_like(mean))).MoveToOuterDisposeScope();
    }

    /// <summary>The mean pairwise Dice disagreement between members' (or augmentations') masks: 1 − the mean Dice over the M(M − 1)/2 pairs of members.</summary>
    /// <param name="memberMasks">The members' predicted masks <c>(M, N, H, W)</c> or <c>(M, N, D, H, W)</c>, M ≥ 2: bool, or values 0 and 1.</param>
    /// <returns>Scores <c>(N)</c> in float64, in [0, 1]: 0 when every member predicts the same mask.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="memberMasks"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The stack is empty, of rank other than 4 or 5, has fewer than 2 members, or holds a value other than 0 and 1.</exception>
    /// <remarks>
    /// Roy et al. 2019 (Bayesian QuickNAT), "Dice agreement in MC samples": Dice(A, B) = 2|A ∩ B| / (|A| + |B|), with Dice = 1 for two
    /// empty masks (they agree). All intersections of an image are one batched matrix product of the flattened masks (exact counts).
    /// For a multiclass model, pass one class's masks (or the foreground) at a time.
    /// </remarks>
    public static Tensor PairwiseDiceDisagreement(Tensor memberMasks)
    {
        Preconditions.MemberMasks(memberMasks, nameof(memberMasks));
        using var scope = torch.NewDisposeScope();
        var members = memberMasks.shape[0];
        var flat = memberMasks.flatten(2);
        // float32 products count exactly up to 2^24 voxels per image; larger images use float64.
        var dtype = flat.shape[2] <= (1L << 24) ? ScalarType.Float32 : ScalarType.Float64;
        var x = flat.to(dtype).permute(1, 0, 2);
        var intersections = torch.bmm(x, x.transpose(1, 2)).to(ScalarType.Float64);
        var volumes = intersections.diagonal(0, 1, 2);
        var sums = volumes.unsqueeze(2).add(volumes.unsqueeze(1));
        var dice = torch.where(sums.gt(0), intersections.mul(2).div_(sums.clamp_min(1)), torch.ones_like(sums));
        // The diagonal holds M ones (a mask's Dice with itself); the off-diagonal holds each pair twice.
        var pairMean = dice.sum(new long[] { 1, 2 }).sub_(members).div_(members * (members - 1));
        return OutputDtype.PerCase(pairMean.neg_().add_(1.0).clamp_(0.0, 1.0)).MoveToOuterDisposeScope();
    }

    /// <summary>The mean of the map over a 0/1 region of the map's dtype, or over the whole image where the region is empty.</summary>
    private static Tensor RegionMean(Tensor map, Tensor region)
    {
        using var scope = torch.NewDisposeScope();
        var values = map.flatten(1);
        var weights = region.flatten(1);
        var counts = weights.sum(new long[] { 1 });
        var sums = values.mul(weights).sum(new long[] { 1 });
        var whole = values.mean(new long[] { 1 });
        return torch.where(counts.gt(0), sums.div_(counts.clamp_min(1)), whole).MoveToOuterDisposeScope();
    }

    /// <summary>The boundary band (dilation − erosion) of a 0/1 floating-point mask <c>(N, …)</c>, as 0/1 values of its dtype.</summary>
    private static Tensor BandCore(Tensor mask, int width)
    {
        using var scope = torch.NewDisposeScope();
        var planes = mask.unsqueeze(1);
        var dilated = MaxPool(planes, width);
        var eroded = MaxPool(planes.neg().add_(1.0), width).neg_().add_(1.0);
        return dilated.sub_(eroded).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A max-pool over a square (cube) of side 2·width + 1 with stride 1 and −∞ padding, so the output has the input's shape; done as one
    /// 1-D max-pool per spatial axis (the cube is separable), 3·(2w + 1) comparisons per voxel instead of (2w + 1)³.
    /// </summary>
    private static Tensor MaxPool(Tensor planes, int width)
    {
        using var scope = torch.NewDisposeScope();
        var kernel = 2L * width + 1;
        var spatial = (int)planes.dim() - 2;
        var result = planes;
        for (var axis = 0; axis < spatial; axis++)
        {
            var size = new long[spatial];
            var stride = new long[spatial];
            var padding = new long[spatial];
            for (var i = 0; i < spatial; i++)
            {
                size[i] = i == axis ? kernel : 1;
                stride[i] = 1;
                padding[i] = i == axis ? width : 0;
            }

            result = spatial == 2
                ? nn.functional.max_pool2d(result, size, stride, padding)
                : nn.functional.max_pool3d(result, size, stride, padding);
        }

        return result.MoveToOuterDisposeScope();
    }
}
