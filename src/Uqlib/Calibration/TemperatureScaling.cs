using System;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Calibration;

/// <summary>Temperature scaling: calibrated probabilities softmax(z / T) with one temperature T &gt; 0 minimising the validation negative log-likelihood.</summary>
/// <remarks>
/// <para>Guo et al. 2017, "On calibration of modern neural networks". The NLL is convex in β = 1/T (its second derivative is the mean
/// variance of the logits under softmax(βz)), so the fit solves dNLL/dβ = 0 by the library's one temperature solver, a Newton iteration
/// safeguarded by a bracket and bisection, to about 10⁻¹⁰ relative, in a few passes over the data (large sets start from the solution on
/// every 8th sample). Dividing by T &gt; 0 never changes the predicted class.</para>
/// <para>A binary single-logit model's logit z is treated as the two class logits (0, z), giving σ(z / T). An immutable value; thread-safe.</para>
/// </remarks>
public sealed class TemperatureScaling : ICalibrator
{
    private const string Kind = "TemperatureScaling";
    private const int Version = 1;
    private const int WarmStartRows = 16_384;

    private TemperatureScaling(double temperature, int classes)
    {
        Temperature = temperature;
        Classes = classes;
    }

    /// <summary>Gets the fitted temperature T &gt; 0 (above 1 softens over-confident predictions).</summary>
    public double Temperature { get; }

    /// <inheritdoc />
    public int Classes { get; }

    /// <summary>Creates a temperature scaling with a known temperature.</summary>
    /// <param name="temperature">The temperature, finite and greater than 0.</param>
    /// <param name="classes">The number of classes, from 2 to 100,000 (2 for a binary single-logit model).</param>
    /// <returns>The calibrator.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not finite and positive, or <paramref name="classes"/> is outside [2, 100,000].</exception>
    public static TemperatureScaling WithTemperature(double temperature, int classes)
    {
        Preconditions.Positive(temperature, nameof(temperature));
        Preconditions.InRange(classes, nameof(classes), 2, Preconditions.MaxClasses);
        return new TemperatureScaling(temperature, classes);
    }

    /// <summary>Fits the temperature minimising the negative log-likelihood of the labels, with default options.</summary>
    /// <param name="logits">Validation logits <c>(N, C)</c>, or a binary model's logit <c>(N)</c> or <c>(N, 1)</c>; not disposed.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>; not disposed.</param>
    /// <returns>The fitted calibrator.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the logits are not finite or are probabilities (every value in [0, 1], every row summing to 1: pass logits or log-probabilities) or a label is out of range.</exception>
    public static TemperatureScaling Fit(Tensor logits, Tensor labels)
    {
        return Fit(logits, labels, new TemperatureScalingOptions());
    }

    /// <summary>Fits the temperature minimising the negative log-likelihood of the labels, within the options' bounds.</summary>
    /// <param name="logits">Validation logits <c>(N, C)</c>, or a binary model's logit <c>(N)</c> or <c>(N, 1)</c>; not disposed.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>; not disposed.</param>
    /// <param name="options">The temperature bounds.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts and at every step of the search.</param>
    /// <returns>The fitted calibrator; its temperature is a bound when the NLL has no minimum inside the bounds.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the logits are not finite or are probabilities (every value in [0, 1], every row summing to 1: pass logits or log-probabilities), a label is out of range, or the options are invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static TemperatureScaling Fit(Tensor logits, Tensor labels, TemperatureScalingOptions options, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (z, y) = CalibrationInput.LogitsAndLabels(logits, labels, float64: false);
        using (z)
        using (y)
        {
            var classes = (int)z.shape[1];
            using var scope = torch.NewDisposeScope();
            var targets = CalibrationInput.NativeSpan<long>(y.cpu().contiguous());
            double betaMin = 1 / options.MaxTemperature, betaMax = 1 / options.MinTemperature;
            // float32 logits are read as they are (widened in registers); anything else as float64.
            var beta = z.dtype == ScalarType.Float32
                ? SolveInverseTemperature(CalibrationInput.NativeSpan<float>(z.cpu().contiguous()), targets, classes, betaMin, betaMax, cancellationToken)
                : SolveInverseTemperature(CalibrationInput.NativeSpan<double>(z.to(ScalarType.Float64).cpu().contiguous()), targets, classes, betaMin, betaMax, cancellationToken);
            return EstimationProgress.Completed(progress, targets.Length, new TemperatureScaling(1 / beta, classes));
        }
    }

    /// <summary>Loads a temperature scaling saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The calibrator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.IO.InvalidDataException">The file is corrupt (checksum), truncated, of a newer version, of another kind, or saved by Uqlib 0.1.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be read.</exception>
    public static TemperatureScaling Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var temperature = reader.Double("temperature");
            var classes = reader.Int32("classes");
            if (temperature <= 0 || classes < 2)
            {
                throw reader.Invalid(
                    string.Create(CultureInfo.InvariantCulture, $"it has temperature {temperature} and {classes} classes; expected T > 0 and at least 2 classes"));
            }

            return new TemperatureScaling(temperature, classes);
        });
    }

    /// <inheritdoc />
    /// <remarks>Computed as softmax((z − max z) / T) in float64: the scaled logits are never positive, so no finite logit and no temperature overflows them.</remarks>
    public Tensor Transform(Tensor logits)
    {
        using var scope = torch.NewDisposeScope();
        var z = CalibrationInput.Logits(logits, Classes);
        return z.sub(z.amax(new long[] { 1 }, keepdim: true)).div_(Temperature).softmax(1).MoveToOuterDisposeScope();
    }

    /// <summary>Divides logits by the temperature, keeping their layout and dtype.</summary>
    /// <param name="logits">Class logits <c>(N, C)</c> or a binary logit <c>(N)</c>/<c>(N, 1)</c>; not disposed.</param>
    /// <returns>The scaled logits, a new tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="logits"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The logits are empty, of the wrong rank or class count, or not finite, or a scaled logit z / T exceeds the range of their dtype (use <see cref="Transform"/>, which cannot overflow).</exception>
    public Tensor ScaleLogits(Tensor logits)
    {
        CalibrationInput.Logits(logits, Classes).Dispose();
        using var scope = torch.NewDisposeScope();
        var scaled = logits.div(Temperature);
        if (scaled.isfinite().all().item<bool>())
        {
            return scaled.MoveToOuterDisposeScope();
        }

        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture,
                $"logits divided by the temperature {Temperature} exceed the range of {logits.dtype}; use Transform for probabilities, or float64 logits."),
            nameof(logits));
    }

    /// <inheritdoc />
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Number("classes", Classes);
            writer.Number("temperature", Temperature);
        });
    }

    /// <summary>Finds β in [betaMin, betaMax] minimising f(β) = mean(logsumexp(β zᵢ) − β zᵢ,yᵢ), by <see cref="InverseTemperatureSearch"/> over spans.</summary>
    /// <param name="logits">Row-major float64 logits, N × <paramref name="classes"/>.</param>
    /// <param name="labels">The N labels.</param>
    /// <param name="classes">The number of classes C.</param>
    /// <param name="betaMin">The smallest β (1 / the largest temperature).</param>
    /// <param name="betaMax">The largest β (1 / the smallest temperature).</param>
    /// <param name="cancellationToken">Checked before every step of the search.</param>
    internal static double SolveInverseTemperature<T>(
        ReadOnlySpan<T> logits, ReadOnlySpan<long> labels, int classes, double betaMin, double betaMax, CancellationToken cancellationToken)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var start = 1.0;
        if (labels.Length >= WarmStartRows)
        {
            // Start from the solution on every 8th row: within sampling error (about 1%) of the answer, so that the full data
            // needs two or three Newton steps instead of five or more.
            var rows = labels.Length / 8;
            var sample = new T[rows * classes];
            var sampleLabels = new long[rows];
            for (var i = 0; i < rows; i++)
            {
                logits.Slice(i * 8 * classes, classes).CopyTo(sample.AsSpan(i * classes, classes));
                sampleLabels[i] = labels[i * 8];
            }

            start = Solve<T>(sample, sampleLabels, classes, betaMin, betaMax, 1.0, cancellationToken);
        }

        return Solve(logits, labels, classes, betaMin, betaMax, start, cancellationToken);
    }

    private static double Solve<T>(
        ReadOnlySpan<T> logits, ReadOnlySpan<long> labels, int classes, double betaMin, double betaMax, double start, CancellationToken cancellationToken)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = labels.Length;
        var rowMax = new double[n];
        var labelMinusMax = 0.0;
        for (var i = 0; i < n; i++)
        {
            var row = logits.Slice(i * classes, classes);
            var max = double.NegativeInfinity;
            foreach (var v in row)
            {
                max = Math.Max(max, double.CreateTruncating(v));
            }

            rowMax[i] = max;
            labelMinusMax += double.CreateTruncating(row[(int)labels[i]]) - max;
        }

        // f(β) = mean(log Σ exp(β(z − max z))) − β·mean(z_y − max z); f′ = mean(E_p[z]) − that mean; f″ = mean(Var_p[z]).
        var target = labelMinusMax / n;
        var search = new InverseTemperatureSearch(start, betaMin, betaMax);
        while (!search.Done)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var beta = search.Beta;
            var (logSum, mean, variance) = Moments(logits, rowMax, classes, beta);
            search.Update(logSum - (beta * target), mean - target, variance);
        }

        return search.Beta;
    }

    /// <summary>Returns the mean over samples of log Σ exp(β(z − max z)), and of the mean and variance of z − max z under softmax(βz).</summary>
    private static (double LogSum, double Mean, double Variance) Moments<T>(ReadOnlySpan<T> logits, double[] rowMax, int classes, double beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = rowMax.Length;
        double logSum = 0, mean = 0, variance = 0;
        var vBeta = Vector256.Create(beta);
        for (var i = 0; i < n; i++)
        {
            var vMax = Vector256.Create(rowMax[i]);
            var s0v = Vector256<double>.Zero;
            var s1v = Vector256<double>.Zero;
            var s2v = Vector256<double>.Zero;
            var c = 0;
            if (typeof(T) == typeof(float))
            {
                var row = MemoryMarshal.Cast<T, float>(logits.Slice(i * classes, classes));
                for (; c <= classes - 8; c += 8)
                {
                    var wide = Vector256.Create(row.Slice(c, 8));
                    Accumulate(Vector256.WidenLower(wide) - vMax, vBeta, ref s0v, ref s1v, ref s2v);
                    Accumulate(Vector256.WidenUpper(wide) - vMax, vBeta, ref s0v, ref s1v, ref s2v);
                }
            }
            else if (typeof(T) == typeof(double))
            {
                var row = MemoryMarshal.Cast<T, double>(logits.Slice(i * classes, classes));
                for (; c <= classes - 4; c += 4)
                {
                    Accumulate(Vector256.Create(row.Slice(c, 4)) - vMax, vBeta, ref s0v, ref s1v, ref s2v);
                }
            }

            double s0 = Vector256.Sum(s0v), s1 = Vector256.Sum(s1v), s2 = Vector256.Sum(s2v);
            for (; c < classes; c++)
            {
                var d = double.CreateTruncating(logits[(i * classes) + c]) - rowMax[i];
                var e = Math.Exp(beta * d);
                s0 += e;
                s1 += e * d;
                s2 += e * d * d;
            }

            var m1 = s1 / s0;
            var m2 = s2 / s0;
            logSum += Math.Log(s0);
            mean += m1;
            variance += Math.Max(0.0, m2 - (m1 * m1));
        }

        return (logSum / n, mean / n, variance / n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(Vector256<double> d, Vector256<double> beta, ref Vector256<double> s0, ref Vector256<double> s1, ref Vector256<double> s2)
    {
        var e = Vector256.Exp(d * beta);
        var ed = e * d;
        s0 += e;
        s1 += ed;
        s2 += ed * d;
    }

    /// <summary>A one-line description of the fitted value (scikit-learn's repr style, invariant culture), e.g. for logs and notebooks.</summary>
    /// <returns>The type name and its fitted parameters.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"TemperatureScaling(T={Temperature:0.####}, classes={Classes})");
}
