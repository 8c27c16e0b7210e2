using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>Argument checks used at every public entry point; each message names the argument, the expectation and what was found.</summary>
internal static class Preconditions
{
    public static T NotNull<T>(T? value, string name)
        where T : class
    {
        return value ?? throw new ArgumentNullException(name);
    }

    /// <summary>Checks that a tensor is not null, has one of the given ranks and at least one element along dimension 0.</summary>
    public static Tensor Tensor(Tensor? value, string name, int minRank, int maxRank)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (value.IsInvalid)
        {
            throw new ObjectDisposedException(name, $"{name} has been disposed.");
        }

        var rank = (int)value.dim();
        if (rank < minRank || rank > maxRank)
        {
            var expected = minRank == maxRank
                ? string.Create(CultureInfo.InvariantCulture, $"rank {minRank}")
                : string.Create(CultureInfo.InvariantCulture, $"rank {minRank} to {maxRank}");
            throw new ArgumentException(
                $"{name} must have {expected}; found shape {ShapeText(value)}.", name);
        }

        if (rank > 0 && value.shape[0] == 0)
        {
            throw new ArgumentException($"{name} is empty: it has no samples (shape {ShapeText(value)}).", name);
        }

        return value;
    }

    /// <summary>Checks a floating-point tensor for NaN and infinite values, reporting their counts and the first sample holding one.</summary>
    public static void Finite(Tensor value, string name)
    {
        if (!value.is_floating_point())
        {
            throw new ArgumentException($"{name} must hold floating-point values; found dtype {value.dtype}.", name);
        }

        using var scope = torch.NewDisposeScope();
        // One reduction in the tensor's own dtype: a finite sum proves every value finite; otherwise (or on overflow) count.
        if (double.IsFinite(value.sum().ToDouble()))
        {
            return;
        }

        var bad = value.isfinite().logical_not_();
        if (!bad.any().item<bool>())
        {
            return;
        }

        var nan = value.isnan().sum().item<long>();
        var infinite = bad.sum().item<long>() - nan;
        var rowWidth = value.dim() == 0 ? 1 : Math.Max(1, value.numel() / value.shape[0]);
        var first = bad.flatten().nonzero()[0, 0].item<long>() / rowWidth;
        throw NonFinite(name, nan, infinite, first);
    }

    /// <summary>
    /// Checks a floating-point tensor of rank 1 or more for NaN and infinite values as <see cref="Finite(TorchSharp.torch.Tensor, string)"/> does, reading
    /// <paramref name="rowsPerChunk"/> rows (dimension 0) at a time so that no temporary is larger than one chunk: for large or memory-mapped tensors.
    /// </summary>
    public static void Finite(Tensor value, string name, long rowsPerChunk)
    {
        if (!value.is_floating_point())
        {
            throw new ArgumentException($"{name} must hold floating-point values; found dtype {value.dtype}.", name);
        }

        var rows = value.shape[0];
        var rowWidth = Math.Max(1, value.numel() / Math.Max(1, rows));
        long nan = 0;
        long infinite = 0;
        long first = -1;
        for (long start = 0; start < rows; start += rowsPerChunk)
        {
            using var scope = torch.NewDisposeScope();
            var chunk = value.narrow(0, start, Math.Min(rowsPerChunk, rows - start));
            if (double.IsFinite(chunk.sum(ScalarType.Float64).ToDouble()))
            {
                continue;
            }

            var bad = chunk.isfinite().logical_not_();
            var count = bad.sum().item<long>();
            if (count == 0)
            {
                continue;
            }

            var chunkNan = chunk.isnan().sum().item<long>();
            nan += chunkNan;
            infinite += count - chunkNan;
            if (first < 0)
            {
                first = start + (bad.flatten().nonzero()[0, 0].item<long>() / rowWidth);
            }
        }

        if (first >= 0)
        {
            throw NonFinite(name, nan, infinite, first);
        }
    }

    /// <summary>Checks that two tensors have the same number of samples (dimension 0).</summary>
    public static void SameLength(Tensor first, string firstName, Tensor second, string secondName)
    {
        HasSamples(first, firstName);
        HasSamples(second, secondName);
        if (first.shape[0] != second.shape[0])
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{secondName} has {second.shape[0]} samples but {firstName} has {first.shape[0]}; they must match."),
                secondName);
        }
    }

    /// <summary>Checks that a tensor has a dimension 0 to hold samples (is not a scalar).</summary>
    public static void HasSamples(Tensor value, string name)
    {
        if (value.dim() == 0)
        {
            throw new ArgumentException($"{name} must have samples along dimension 0; found a scalar (rank 0).", name);
        }
    }

    /// <summary>Checks integer class labels of shape (N) against <paramref name="classes"/>.</summary>
    public static void Labels(Tensor labels, string name, long classes)
    {
        if (labels.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte))
        {
            throw new ArgumentException($"{name} must hold integer class indices; found dtype {labels.dtype}.", name);
        }

        using var scope = torch.NewDisposeScope();
        var outside = labels.lt(0).logical_or_(labels.ge(classes));
        if (outside.any().item<bool>())
        {
            var count = outside.sum().item<long>();
            var first = outside.flatten().nonzero()[0, 0].item<long>();
            var firstValue = labels.flatten()[first].item<long>();
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{name} must be class indices in [0, {classes - 1}]; found {count} outside that range (first at row {first}: {firstValue})."),
                name);
        }
    }

    /// <summary>Checks that a number is finite and within [min, max].</summary>
    public static double InRange(double value, string name, double min, double max)
    {
        if (double.IsNaN(value) || value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value,
                string.Create(CultureInfo.InvariantCulture, $"{name} must be in [{min}, {max}]; found {value}."));
        }

        return value;
    }

    /// <summary>Checks that a number is finite and strictly positive.</summary>
    public static double Positive(double value, string name)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value,
                string.Create(CultureInfo.InvariantCulture, $"{name} must be a finite number greater than 0; found {value}."));
        }

        return value;
    }

    /// <summary>Checks that an integer is at least <paramref name="min"/>.</summary>
    public static int AtLeast(int value, string name, int min)
    {
        if (value < min)
        {
            throw new ArgumentOutOfRangeException(name, value,
                string.Create(CultureInfo.InvariantCulture, $"{name} must be at least {min}; found {value}."));
        }

        return value;
    }

    /// <summary>Checks a span of numbers for NaN and infinite values.</summary>
    public static void Finite(ReadOnlySpan<double> values, string name)
    {
        var count = 0;
        var first = -1;
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                count++;
                if (first < 0)
                {
                    first = i;
                }
            }
        }

        if (count > 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{name} has {count} NaN or infinite value{(count == 1 ? string.Empty : "s")} (first at index {first}: {values[first]})."),
                name);
        }
    }

    public static string ShapeText(Tensor value)
    {
        return "(" + string.Join(", ", value.shape) + ")";
    }

    private static ArgumentException NonFinite(string name, long nan, long infinite, long first)
    {
        var what = (nan, infinite) switch
        {
            (> 0, > 0) => $"{nan} NaN and {infinite} infinite values",
            (> 0, _) => $"{nan} NaN value{(nan == 1 ? string.Empty : "s")}",
            _ => $"{infinite} infinite value{(infinite == 1 ? string.Empty : "s")}",
        };
        return new ArgumentException(
            string.Create(CultureInfo.InvariantCulture, $"{name} has {what} (first at row {first})."), name);
    }
}
