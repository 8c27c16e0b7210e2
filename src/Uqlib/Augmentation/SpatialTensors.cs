using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>Checks and helpers for image batches <c>(N, C, H, W)</c> and volume batches <c>(N, C, D, H, W)</c>.</summary>
internal static class SpatialTensors
{
    /// <summary>Checks a batch of images or volumes and returns its number of spatial dimensions (2 or 3).</summary>
    public static int Check(Tensor value, string name)
    {
        Preconditions.Tensor(value, name, 4, 5);
        if (!value.is_floating_point())
        {
            throw new ArgumentException($"{name} must hold floating-point values; found dtype {value.dtype}.", name);
        }

        return (int)value.dim() - 2;
    }

    /// <summary>Resolves a spatial axis (0 = first spatial dimension, −1 = last) to a tensor dimension.</summary>
    public static long Dimension(int axis, int spatial, string name)
    {
        var resolved = axis < 0 ? axis + spatial : axis;
        if (resolved < 0 || resolved >= spatial)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{name} {axis} does not exist in an input with {spatial} spatial dimensions (valid: {-spatial} to {spatial - 1})."),
                name);
        }

        return 2 + resolved;
    }

    /// <summary>Checks a spatial axis given at construction: it must lie in [−3, 2].</summary>
    public static int Axis(int axis, string name)
    {
        if (axis < -3 || axis > 2)
        {
            throw new ArgumentOutOfRangeException(name, axis,
                string.Create(CultureInfo.InvariantCulture, $"{name} must be a spatial axis in [-3, 2] (0 = first spatial dimension, -1 = last); found {axis}."));
        }

        return axis;
    }

    /// <summary>Resolves a plane of two spatial axes to two different tensor dimensions.</summary>
    public static (long First, long Second) Plane(int first, int second, int spatial, string name)
    {
        var a = Dimension(first, spatial, name);
        var b = Dimension(second, spatial, name);
        if (a == b)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} ({first}, {second}) names one axis twice in an input with {spatial} spatial dimensions."), name);
        }

        return (a, b);
    }

    /// <summary>The per-sample minimum and range over every non-batch dimension, kept as <c>(N, 1, …)</c>; a constant sample has range 1.</summary>
    public static (Tensor Low, Tensor Range) MinRange(Tensor inputs)
    {
        var dims = NonBatchDims(inputs);
        var low = inputs.amin(dims, keepdim: true);
        var range = inputs.amax(dims, keepdim: true).sub_(low);
        range = torch.where(range.gt(0), range, torch.ones_like(range));
        return (low, range);
    }

    public static long[] NonBatchDims(Tensor inputs)
    {
        var dims = new long[inputs.dim() - 1];
        for (var i = 0; i < dims.Length; i++)
        {
            dims[i] = i + 1;
        }

        return dims;
    }

    public static string Format(double value)
    {
        return value.ToString("0.####", CultureInfo.InvariantCulture);
    }
}
