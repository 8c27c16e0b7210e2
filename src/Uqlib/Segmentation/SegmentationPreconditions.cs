using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Segmentation;

/// <summary>Argument checks shared by the segmentation entry points, built on <see cref="Preconditions"/>.</summary>
internal static class SegmentationPreconditions
{
    /// <summary>Checks a per-pixel/voxel map <c>(N, H, W)</c> or <c>(N, D, H, W)</c>: not null, of rank 3 or 4, not empty, floating point and finite.</summary>
    public static void Map(Tensor? map, string name)
    {
        ArgumentNullException.ThrowIfNull(map, name);
        var rank = map.IsInvalid ? -1 : (int)map.dim();
        if (rank is not (-1 or 3 or 4))
        {
            throw new ArgumentException(
                $"{name} must be a per-pixel map (N, H, W) or a per-voxel map (N, D, H, W); found shape {Preconditions.ShapeText(map)}"
                + (rank == 5 ? " (a model output (N, C, D, H, W)? reduce the class dimension first, e.g. with SegmentationScores.EntropyMap)." : "."),
                name);
        }

        Preconditions.Tensor(map, name, 3, 4);
        NotEmpty(map, name);
        Preconditions.Finite(map, name);
    }

    /// <summary>Checks a binary mask of exactly the shape of <paramref name="map"/> (bool, or numbers equal to 0 or 1).</summary>
    public static void MaskLike(Tensor map, string mapName, Tensor? mask, string name)
    {
        ArgumentNullException.ThrowIfNull(mask, name);
        if (mask.IsInvalid)
        {
            throw new ObjectDisposedException(name, $"{name} has been disposed.");
        }

        if (!map.shape.AsSpan().SequenceEqual(mask.shape))
        {
            var hint = mask.dim() != map.dim()
                ? string.Create(CultureInfo.InvariantCulture, $" ({mask.dim() - 1}-D {name} against a {map.dim() - 1}-D {mapName})")
                : string.Empty;
            throw new ArgumentException(
                $"{name} has shape {Preconditions.ShapeText(mask)} but {mapName} has shape {Preconditions.ShapeText(map)}{hint}; they must match.",
                name);
        }

        if (mask.device_type != map.device_type || mask.device_index != map.device_index)
        {
            throw new ArgumentException($"{name} is on {mask.device} but {mapName} is on {map.device}; they must be on one device.", name);
        }

        Binary(mask, name);
    }

    /// <summary>Checks a stack of members' (or augmentations') masks <c>(M, N, H, W)</c> or <c>(M, N, D, H, W)</c> with M ≥ 2.</summary>
    public static void MemberMasks(Tensor? masks, string name)
    {
        ArgumentNullException.ThrowIfNull(masks, name);
        if (masks.IsInvalid)
        {
            throw new ObjectDisposedException(name, $"{name} has been disposed.");
        }

        if (masks.dim() is not (4 or 5))
        {
            throw new ArgumentException(
                $"{name} must stack the members' masks as (M, N, H, W) or (M, N, D, H, W); found shape {Preconditions.ShapeText(masks)}.", name);
        }

        if (masks.shape[0] < 2)
        {
            throw new ArgumentException(
                $"{name} must hold at least 2 members (dimension 0) to measure their disagreement; found shape {Preconditions.ShapeText(masks)}.", name);
        }

        NotEmpty(masks, name);
        Binary(masks, name);
    }

    /// <summary>Checks that no dimension of a tensor is 0.</summary>
    public static void NotEmpty(Tensor value, string name)
    {
        if (value.numel() == 0)
        {
            throw new ArgumentException($"{name} is empty: it has no values (shape {Preconditions.ShapeText(value)}).", name);
        }
    }

    /// <summary>Checks that a tensor is a binary mask: bool, or integer or floating-point values all equal to 0 or 1.</summary>
    public static void Binary(Tensor mask, string name)
    {
        if (mask.dtype == ScalarType.Bool)
        {
            return;
        }

        if (mask.dtype is ScalarType.ComplexFloat32 or ScalarType.ComplexFloat64)
        {
            throw new ArgumentException($"{name} must be a binary mask (bool, or 0 and 1); found dtype {mask.dtype}.", name);
        }

        using var scope = torch.NewDisposeScope();
        var bad = mask.ne(0).logical_and_(mask.ne(1));
        if (!bad.any().item<bool>())
        {
            return;
        }

        var count = bad.sum().item<long>();
        var flat = bad.flatten().nonzero()[0, 0].item<long>();
        var found = mask.flatten()[flat].ToDouble();
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture,
                $"{name} must be a binary mask (bool, or values 0 and 1); found {count} other value{(count == 1 ? string.Empty : "s")} (first at flat index {flat}: {found})."),
            name);
    }
}
