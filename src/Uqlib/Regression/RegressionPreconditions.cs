using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Regression;

/// <summary>Argument checks shared by the regression entry points, built on <see cref="Preconditions"/>.</summary>
internal static class RegressionPreconditions
{
    /// <summary>Checks a regression tensor: not null, rank 1 or 2 (<c>(N)</c> or <c>(N, D)</c>), not empty, floating point and finite.</summary>
    public static void Values(Tensor? value, string name)
    {
        Preconditions.Tensor(value, name, 1, 2);
        if (value!.numel() == 0)
        {
            throw new ArgumentException($"{name} is empty: it has no values (shape {Preconditions.ShapeText(value)}).", name);
        }

        Preconditions.Finite(value, name);
    }

    /// <summary>Checks that <paramref name="second"/> has exactly the shape of <paramref name="first"/>.</summary>
    public static void SameShape(Tensor first, string firstName, Tensor? second, string secondName)
    {
        ArgumentNullException.ThrowIfNull(second, secondName);
        if (!first.shape.AsSpan().SequenceEqual(second.shape))
        {
            throw new ArgumentException(
                $"{secondName} has shape {Preconditions.ShapeText(second)} but {firstName} has shape {Preconditions.ShapeText(first)}; they must match.",
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
        Values(mean, nameof(mean));
        SameShape(mean!, nameof(mean), variance, nameof(variance));
        Values(variance, nameof(variance));
        PositiveValues(variance!, nameof(variance));
        SameShape(mean!, nameof(mean), targets, nameof(targets));
        Values(targets, nameof(targets));
    }

    /// <summary>Checks spans of one length, non-empty and finite, with a strictly positive variance.</summary>
    public static void Gaussian(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets)
    {
        Values(mean, nameof(mean));
        SameLength(mean, nameof(mean), variance, nameof(variance));
        SameLength(mean, nameof(mean), targets, nameof(targets));
        Preconditions.Finite(variance, nameof(variance));
        Preconditions.Finite(targets, nameof(targets));
        PositiveValues(variance, nameof(variance));
    }

    /// <summary>Checks that a span is not empty and finite.</summary>
    public static void Values(ReadOnlySpan<double> value, string name)
    {
        if (value.IsEmpty)
        {
            throw new ArgumentException($"{name} is empty: it has no values.", name);
        }

        Preconditions.Finite(value, name);
    }

    /// <summary>Checks that two spans have the same length.</summary>
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

    /// <summary>Copies a tensor's values, flattened, to a new array of doubles on the CPU.</summary>
    public static double[] ToArray(Tensor value)
    {
        using var scope = torch.NewDisposeScope();
        return value.to(ScalarType.Float64).cpu().contiguous().flatten().data<double>().ToArray();
    }
}
