using System;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Calibration;

/// <summary>Validates probabilities and labels given as tensors or spans and turns them into what the calibration metrics bin.</summary>
internal static class CalibrationInput
{
    /// <summary>Validates probabilities <c>(N, C)</c> or binary positive-class probabilities <c>(N)</c> with labels <c>(N)</c>; returns the probabilities as <c>(N, C)</c> (float64 unless told otherwise) and the labels as int64.</summary>
    public static (Tensor Probabilities, Tensor Labels) Check(Tensor probabilities, Tensor labels, bool float64 = true)
    {
        Preconditions.Tensor(probabilities, nameof(probabilities), 1, 2);
        Preconditions.Tensor(labels, nameof(labels), 1, 1);
        Preconditions.SameLength(probabilities, nameof(probabilities), labels, nameof(labels));
        ProbabilityConversion.ValidateProbabilities(probabilities, nameof(probabilities));
        var matrix = probabilities.dim() == 1
            ? ProbabilityConversion.ToProbabilities(probabilities, OutputKind.Probabilities)
            : probabilities.alias();
        try
        {
            Preconditions.Labels(labels, nameof(labels), matrix.shape[1]);
            using var scope = torch.NewDisposeScope();
            var p = float64 ? matrix.to(ScalarType.Float64) : matrix.alias();
            var y = labels.to(ScalarType.Int64);
            return (p.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
        }
        finally
        {
            matrix.Dispose();
        }
    }

    /// <summary>Validates logits <c>(N, C)</c> or a binary single logit <c>(N)</c>/<c>(N, 1)</c>; returns class logits <c>(N, C)</c> (float64 unless told otherwise), the binary logit z as float64 (0, z). The result may share the caller's storage: never modify it in place.</summary>
    public static Tensor Logits(Tensor logits, int? classes = null, bool float64 = true)
    {
        Preconditions.Tensor(logits, nameof(logits), 1, 2);
        Preconditions.Finite(logits, nameof(logits));
        Preconditions.NotProbabilities(logits, nameof(logits));
        var binary = logits.dim() == 1 || logits.shape[1] == 1;
        if (!binary && logits.shape[1] < 2)
        {
            throw new ArgumentException($"logits must have at least 2 classes; found shape {Preconditions.ShapeText(logits)}.", nameof(logits));
        }

        var found = binary ? 2 : (int)logits.shape[1];
        if (classes is { } expected && expected != found)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"logits must have {expected} classes, as the calibrator was fitted on; found shape {Preconditions.ShapeText(logits)}."),
                nameof(logits));
        }

        using var scope = torch.NewDisposeScope();
        var result = binary
            ? ProbabilityConversion.ToLogits(logits, OutputKind.BinaryLogit).to(ScalarType.Float64)
            : float64 ? logits.to(ScalarType.Float64) : logits.alias();
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Validates logits and labels for fitting a calibrator; returns logits <c>(N, C)</c> (float64 unless told otherwise; binary ones always) and int64 labels.</summary>
    public static (Tensor Logits, Tensor Labels) LogitsAndLabels(Tensor logits, Tensor labels, bool float64 = true)
    {
        var z = Logits(logits, float64: float64);
        try
        {
            Preconditions.Tensor(labels, nameof(labels), 1, 1);
            Preconditions.SameLength(logits, nameof(logits), labels, nameof(labels));
            Preconditions.Labels(labels, nameof(labels), z.shape[1]);
            return (z, labels.to(ScalarType.Int64));
        }
        catch
        {
            z.Dispose();
            throw;
        }
    }

    /// <summary>The top-label confidence and correctness (1 or 0) of each sample, validating the probabilities in the same pass.</summary>
    public static (double[] Confidence, double[] Correct) TopLabel(Tensor probabilities, Tensor labels)
    {
        Preconditions.Tensor(probabilities, nameof(probabilities), 1, 2);
        Preconditions.Tensor(labels, nameof(labels), 1, 1);
        Preconditions.SameLength(probabilities, nameof(probabilities), labels, nameof(labels));
        var width = probabilities.dim() == 1 ? 1 : (int)probabilities.shape[1];
        Preconditions.Labels(labels, nameof(labels), Math.Max(width, 2));
        using var scope = torch.NewDisposeScope();
        var p = probabilities.dtype is ScalarType.Float32 or ScalarType.Float64
            ? probabilities.cpu().contiguous()
            : probabilities.to(ScalarType.Float64).cpu().contiguous();
        var y = labels.to(ScalarType.Int64).cpu().contiguous();
        var n = (int)labels.shape[0];
        var confidence = new double[n];
        var correct = new double[n];
        var valid = p.dtype == ScalarType.Float32
            ? TopLabel(NativeSpan<float>(p), NativeSpan<long>(y), width, confidence, correct)
            : TopLabel(NativeSpan<double>(p), NativeSpan<long>(y), width, confidence, correct);
        if (!valid)
        {
            // Something is out of place: let the general check name it.
            ProbabilityConversion.ValidateProbabilities(probabilities, nameof(probabilities));
            throw new ArgumentException("probabilities must be finite values in [0, 1] whose rows sum to 1.", nameof(probabilities));
        }

        return (confidence, correct);
    }

    /// <summary>One pass over row-major probabilities: top-label confidence and correctness; false if a value is non-finite, outside [0, 1] or a row does not sum to 1.</summary>
    private static bool TopLabel<T>(ReadOnlySpan<T> p, ReadOnlySpan<long> labels, int width, Span<double> confidence, Span<double> correct)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var row = 0; row < labels.Length; row++)
        {
            if (width == 1)
            {
                var positive = double.CreateTruncating(p[row]);
                if (!(positive >= 0 && positive <= 1))
                {
                    return false;
                }

                var predicted = positive > 0.5 ? 1 : 0;
                confidence[row] = Math.Max(positive, 1 - positive);
                correct[row] = predicted == labels[row] ? 1.0 : 0.0;
                continue;
            }

            var values = p.Slice(row * width, width);
            var best = 0;
            var max = double.CreateTruncating(values[0]);
            var sum = 0.0;
            for (var c = 0; c < width; c++)
            {
                var v = double.CreateTruncating(values[c]);
                if (!(v >= 0 && v <= 1))
                {
                    return false;
                }

                sum += v;
                if (v > max)
                {
                    max = v;
                    best = c;
                }
            }

            if (Math.Abs(sum - 1) > ProbabilityConversion.SumTolerance)
            {
                return false;
            }

            confidence[row] = max;
            correct[row] = best == labels[row] ? 1.0 : 0.0;
        }

        return true;
    }

    /// <summary>Validates row-major probabilities <c>N × C</c> (or <c>N</c> binary positive-class probabilities) against <c>N</c> labels; returns C (2 for binary input).</summary>
    public static int Check(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels)
    {
        if (labels.IsEmpty)
        {
            throw new ArgumentException("labels is empty: it has no samples.", nameof(labels));
        }

        if (probabilities.IsEmpty || probabilities.Length % labels.Length != 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"probabilities must hold N × C values in row-major order for the N = {labels.Length} labels; found {probabilities.Length} values."),
                nameof(probabilities));
        }

        Preconditions.Finite(probabilities, nameof(probabilities));
        var width = probabilities.Length / labels.Length;
        for (var i = 0; i < probabilities.Length; i++)
        {
            if (probabilities[i] < 0 || probabilities[i] > 1)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"probabilities must hold probabilities in [0, 1]; found {probabilities[i]} at index {i}."),
                    nameof(probabilities));
            }
        }

        if (width > 1)
        {
            for (var row = 0; row < labels.Length; row++)
            {
                var sum = 0.0;
                foreach (var value in probabilities.Slice(row * width, width))
                {
                    sum += value;
                }

                if (Math.Abs(sum - 1) > ProbabilityConversion.SumTolerance)
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture,
                            $"probabilities must sum to 1 over each row of {width} classes; row {row} sums to {sum}."),
                        nameof(probabilities));
                }
            }
        }

        var classes = Math.Max(width, 2);
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0 || labels[i] >= classes)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"labels must be class indices in [0, {classes - 1}]; found {labels[i]} at row {i}."),
                    nameof(labels));
            }
        }

        return classes;
    }

    /// <summary>The probability of class <paramref name="c"/> for sample <paramref name="row"/> of validated span input with <paramref name="width"/> values per row.</summary>
    public static double At(ReadOnlySpan<double> probabilities, int width, int row, int c)
    {
        return width == 1 ? (c == 1 ? probabilities[row] : 1 - probabilities[row]) : probabilities[(row * width) + c];
    }

    public static (double[] Confidence, double[] Correct) TopLabel(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels)
    {
        var classes = Check(probabilities, labels);
        var width = probabilities.Length / labels.Length;
        var confidence = new double[labels.Length];
        var correct = new double[labels.Length];
        for (var row = 0; row < labels.Length; row++)
        {
            var best = 0;
            var max = At(probabilities, width, row, 0);
            for (var c = 1; c < classes; c++)
            {
                var value = At(probabilities, width, row, c);
                if (value > max)
                {
                    max = value;
                    best = c;
                }
            }

            confidence[row] = max;
            correct[row] = best == labels[row] ? 1.0 : 0.0;
        }

        return (confidence, correct);
    }

    public static double[] ToArray(Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        return NativeSpan<double>(tensor.to(ScalarType.Float64).cpu().contiguous()).ToArray();
    }

    /// <summary>A span over the native data of a contiguous CPU tensor of element type <typeparamref name="T"/>; valid while the tensor lives.</summary>
    public static ReadOnlySpan<T> NativeSpan<T>(Tensor contiguousCpu)
        where T : unmanaged
    {
        return MemoryMarshal.Cast<byte, T>(contiguousCpu.bytes);
    }
}
