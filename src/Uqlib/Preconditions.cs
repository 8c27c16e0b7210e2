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
        Live(value, name);
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

    /// <summary>Checks that a tensor is not null and not disposed (any rank, empty allowed).</summary>
    public static Tensor Live([System.Diagnostics.CodeAnalysis.NotNull] Tensor? value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (value.IsInvalid)
        {
            throw new ObjectDisposedException(name, $"{name} has been disposed.");
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

    /// <summary>
    /// Refuses probabilities passed where logits are expected: a multiclass tensor <c>(N, C[, …])</c>, C ≥ 2, whose values all lie in [0, 1] and whose
    /// rows all sum to 1 (within <see cref="ProbabilityConversion.SumTolerance"/>) is almost surely a softmax output. One min/max reduction for ordinary logits.
    /// </summary>
    public static void NotProbabilities(Tensor logits, string name)
    {
        if (logits.dim() < 2 || logits.shape[1] < 2)
        {
            return;
        }

        using var scope = torch.NewDisposeScope();
        var (min, max) = logits.aminmax();
        if (min.ToDouble() < 0 || max.ToDouble() > 1)
        {
            return;
        }

        if (logits.sum(1, type: ScalarType.Float64).sub_(1.0).abs_().max().ToDouble() <= ProbabilityConversion.SumTolerance)
        {
            throw new ArgumentException(
                $"{name} must be logits (a model's output before softmax), but it holds probabilities: every value is in [0, 1] and every row sums to 1. "
                + "Pass the logits, or pass log-probabilities (probabilities.clamp_min(1e-12).log() is a valid logit vector with the same softmax), "
                + "or use an overload that takes OutputKind.Probabilities.",
                name);
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

    /// <summary>The largest number of bins any binned metric accepts (ECE, MCE, reliability diagrams, ENCE, histogram binning).</summary>
    public const int MaxBins = 100_000;

    /// <summary>The largest number of bootstrap resamples.</summary>
    public const int MaxResamples = 1_000_000;

    /// <summary>The largest number of classes a fitted object or a class-indexed metric accepts.</summary>
    public const int MaxClasses = 100_000;

    /// <summary>The largest batch size a batch-size cap may name.</summary>
    public const int MaxBatchSize = 1 << 20;

    /// <summary>The largest number of elements a chunk of a chunked computation may hold (2³¹, 8 GiB of float32).</summary>
    public const long MaxChunkElements = 1L << 31;

    /// <summary>The largest count of a generated or searched collection (candidate sub-policies, search steps, nearest neighbours).</summary>
    public const int MaxCount = 100_000;

    /// <summary>Checks a size or count argument against its documented range [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static int InRange(int value, string name, int min, int max)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value,
                string.Create(CultureInfo.InvariantCulture, $"{name} must be in [{min}, {max}]; found {value}."));
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

    /// <summary>Checks that a path argument is not null and not blank.</summary>
    public static string FilePath(string? value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{name} must name a file; found \"{value}\".", name);
        }

        return value;
    }

    /// <summary>Checks a regression tensor: not null, rank 1 or 2 (<c>(N)</c> or <c>(N, D)</c>), not empty, floating point and finite.</summary>
    public static void RegressionValues(Tensor? value, string name)
    {
        Tensor(value, name, 1, 2);
        if (value!.numel() == 0)
        {
            throw new ArgumentException($"{name} is empty: it has no values (shape {ShapeText(value)}).", name);
        }

        Finite(value, name);
    }

    /// <summary>Checks that <paramref name="second"/> has exactly the shape of <paramref name="first"/>.</summary>
    public static void SameShape(Tensor first, string firstName, Tensor? second, string secondName)
    {
        ArgumentNullException.ThrowIfNull(second, secondName);
        if (!first.shape.AsSpan().SequenceEqual(second.shape))
        {
            throw new ArgumentException(
                $"{secondName} has shape {ShapeText(second)} but {firstName} has shape {ShapeText(first)}; they must match.",
                secondName);
        }
    }

    /// <summary>Checks that every value of a finite tensor is strictly positive, reporting how many are not and the first one.</summary>
    public static void PositiveValues(Tensor value, string name)
    {
        using var scope = torch.NewDisposeScope();
        var bad = value.le(0);
        if (!bad.any().item<bool>())
        {
            return;
        }

        var count = bad.sum().item<long>();
        var flat = bad.flatten().nonzero()[0, 0].item<long>();
        var rowWidth = Math.Max(1, value.numel() / value.shape[0]);
        var found = value.flatten()[flat].ToDouble();
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture,
                $"{name} must be strictly positive; found {count} value{(count == 1 ? string.Empty : "s")} ≤ 0 (first at row {flat / rowWidth}: {found})."),
            name);
    }

    /// <summary>Checks a mean, a variance and targets of one shape: finite, non-empty, variance strictly positive.</summary>
    public static void Gaussian(Tensor? mean, Tensor? variance, Tensor? targets)
    {
        RegressionValues(mean, nameof(mean));
        SameShape(mean!, nameof(mean), variance, nameof(variance));
        RegressionValues(variance, nameof(variance));
        PositiveValues(variance!, nameof(variance));
        SameShape(mean!, nameof(mean), targets, nameof(targets));
        RegressionValues(targets, nameof(targets));
    }

    /// <summary>Checks spans of one length, non-empty and finite, with a strictly positive variance.</summary>
    public static void Gaussian(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets)
    {
        RegressionValues(mean, nameof(mean));
        SameLength(mean, nameof(mean), variance, nameof(variance));
        SameLength(mean, nameof(mean), targets, nameof(targets));
        Finite(variance, nameof(variance));
        Finite(targets, nameof(targets));
        PositiveValues(variance, nameof(variance));
    }

    /// <summary>Checks a regression span: not empty and finite.</summary>
    public static void RegressionValues(ReadOnlySpan<double> value, string name)
    {
        if (value.IsEmpty)
        {
            throw new ArgumentException($"{name} is empty: it has no values.", name);
        }

        Finite(value, name);
    }

    /// <summary>Checks that two spans of numbers have the same length.</summary>
    public static void SameLength(ReadOnlySpan<double> first, string firstName, ReadOnlySpan<double> second, string secondName)
    {
        if (first.Length != second.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{secondName} has {second.Length} values but {firstName} has {first.Length}; they must match."),
                secondName);
        }
    }

    /// <summary>Checks that every value of a span is strictly positive.</summary>
    public static void PositiveValues(ReadOnlySpan<double> value, string name)
    {
        var count = 0;
        var first = -1;
        for (var i = 0; i < value.Length; i++)
        {
            if (!(value[i] > 0))
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
                    $"{name} must be strictly positive; found {count} value{(count == 1 ? string.Empty : "s")} ≤ 0 (first at index {first}: {value[first]})."),
                name);
        }
    }

    /// <summary>Checks a miscoverage level α in the open interval (0, 1).</summary>
    public static double Alpha(double alpha, string name)
    {
        if (!(alpha > 0 && alpha < 1))
        {
            throw new ArgumentOutOfRangeException(name, alpha,
                string.Create(CultureInfo.InvariantCulture, $"{name} must be in the open interval (0, 1); found {alpha}."));
        }

        return alpha;
    }


    /// <summary>Checks a per-pixel/voxel map <c>(N, H, W)</c> or <c>(N, D, H, W)</c>: not null, of rank 3 or 4, not empty, floating point and finite.</summary>
    public static void Map(Tensor? map, string name)
    {
        ArgumentNullException.ThrowIfNull(map, name);
        var rank = map.IsInvalid ? -1 : (int)map.dim();
        if (rank is not (-1 or 3 or 4))
        {
            throw new ArgumentException(
                $"{name} must be a per-pixel map (N, H, W) or a per-voxel map (N, D, H, W); found shape {ShapeText(map)}"
                + (rank == 5 ? " (a model output (N, C, D, H, W)? reduce the class dimension first, e.g. with SegmentationScores.EntropyMap)." : "."),
                name);
        }

        Tensor(map, name, 3, 4);
        NotEmpty(map, name);
        Finite(map, name);
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
                $"{name} has shape {ShapeText(mask)} but {mapName} has shape {ShapeText(map)}{hint}; they must match.",
                name);
        }

        if (mask.device_type != map.device_type || mask.device_index != map.device_index)
        {
            throw new ArgumentException($"{name} is on {mask.device} but {mapName} is on {map.device}; they must be on one device.", name);
        }

        BinaryMask(mask, name);
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
                $"{name} must stack the members' masks as (M, N, H, W) or (M, N, D, H, W); found shape {ShapeText(masks)}.", name);
        }

        if (masks.shape[0] < 2)
        {
            throw new ArgumentException(
                $"{name} must hold at least 2 members (dimension 0) to measure their disagreement; found shape {ShapeText(masks)}.", name);
        }

        NotEmpty(masks, name);
        BinaryMask(masks, name);
    }

    /// <summary>Checks that no dimension of a tensor is 0.</summary>
    public static void NotEmpty(Tensor value, string name)
    {
        if (value.numel() == 0)
        {
            throw new ArgumentException($"{name} is empty: it has no values (shape {ShapeText(value)}).", name);
        }
    }

    /// <summary>Checks that a tensor is a binary mask: bool, or integer or floating-point values all equal to 0 or 1.</summary>
    public static void BinaryMask(Tensor mask, string name)
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
