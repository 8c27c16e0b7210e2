using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Labelling;

/// <summary>How well a 2-D mask is described by the ellipse from a principal component analysis (PCA) of its pixels: the seed's
/// auto-labelling measure. An ellipse scores about 1; lobulated or spiculated shapes score lower.</summary>
/// <remarks>
/// For each mask, the PCA of its pixel coordinates gives the centroid, the principal directions and the variances λ₁ ≥ λ₂; the
/// ellipse has those axes and semi-axes 2√λ₁, 2√λ₂ (a filled ellipse of semi-axis a has variance a²/4 along it, the convention of
/// scikit-image's <c>regionprops</c> ellipse). The score is the Dice coefficient 2|M ∩ E| / (|M| + |E|) between the mask M and the
/// rasterised ellipse E. Batched: one pass of tensor operations for all masks.
/// </remarks>
public static class EllipseDice
{
    /// <summary>Computes the ellipse Dice of every mask.</summary>
    /// <param name="masks">Masks <c>(N, H, W)</c>; a pixel belongs to the mask where its value is above 0.5. Not disposed.</param>
    /// <returns>Dice values <c>(N)</c>, float64 in [0, 1]; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="masks"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The masks are not of rank 3, are empty, hold NaN, or a mask has no pixel.</exception>
    public static Tensor Compute(Tensor masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.dim() != 3)
        {
            throw new ArgumentException($"masks must have shape (N, H, W); found rank {masks.dim()}.", nameof(masks));
        }

        if (masks.numel() == 0)
        {
            throw new ArgumentException("masks is empty: there is nothing to label.", nameof(masks));
        }

        using var scope = NewDisposeScope();
        var binary = masks.to(ScalarType.Float64);
        var nanCount = binary.isnan().sum().ToInt64();
        if (nanCount > 0)
        {
            throw new ArgumentException($"masks has {nanCount} NaN values.", nameof(masks));
        }

        binary = binary.gt(0.5).to(ScalarType.Float64);
        var area = binary.sum(new long[] { 1, 2 });
        var empty = area.eq(0).nonzero();
        if (empty.shape[0] > 0)
        {
            throw new ArgumentException(
                $"masks has {empty.shape[0]} empty masks (first at index {empty[0, 0].ToInt64()}): a PCA needs at least one pixel.", nameof(masks));
        }

        return Core(binary, area).MoveToOuterDisposeScope();
    }

    private static Tensor Core(Tensor binary, Tensor area)
    {
        var height = binary.shape[1];
        var width = binary.shape[2];
        var ys = arange(height, dtype: ScalarType.Float64).reshape(1, height, 1);
        var xs = arange(width, dtype: ScalarType.Float64).reshape(1, 1, width);
        var sumDims = new long[] { 1, 2 };
        var meanX = binary.mul(xs).sum(sumDims).div(area).reshape(-1, 1, 1);
        var meanY = binary.mul(ys).sum(sumDims).div(area).reshape(-1, 1, 1);
        var dx = xs.sub(meanX);
        var dy = ys.sub(meanY);
        var sxx = binary.mul(dx.square()).sum(sumDims).div(area);
        var syy = binary.mul(dy.square()).sum(sumDims).div(area);
        var sxy = binary.mul(dx.mul(dy)).sum(sumDims).div(area);
        var half = sxx.add(syy).div(2);
        var root = sxx.sub(syy).div(2).square().add(sxy.square()).sqrt();
        var major = half.add(root).sqrt().mul(2).clamp_min(0.5).reshape(-1, 1, 1);
        var minor = half.sub(root).clamp_min(0).sqrt().mul(2).clamp_min(0.5).reshape(-1, 1, 1);
        var angle = atan2(sxy.mul(2), sxx.sub(syy)).div(2).reshape(-1, 1, 1);
        var cos = angle.cos();
        var sin = angle.sin();
        var along = dx.mul(cos).add(dy.mul(sin)).div(major);
        var across = dy.mul(cos).sub(dx.mul(sin)).div(minor);
        var ellipse = along.square().add(across.square()).le(1.0).to(ScalarType.Float64);
        var overlap = binary.mul(ellipse).sum(sumDims);
        return overlap.mul(2).div(area.add(ellipse.sum(sumDims)));
    }
}
