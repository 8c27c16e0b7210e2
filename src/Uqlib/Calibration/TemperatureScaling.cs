using System;
using System.Globalization;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Calibration;

/// <summary>Temperature scaling: calibrated probabilities softmax(z / T) with one temperature T &gt; 0 minimising the validation negative log-likelihood.</summary>
/// <remarks>
/// <para>Guo et al. 2017, "On calibration of modern neural networks". The NLL is convex in β = 1/T (its second derivative is the mean
/// variance of the logits under softmax(βz)), so the fit solves dNLL/dβ = 0 exactly by Newton's method safeguarded by a bracket and
/// bisection, to machine precision, in a few passes over the data. Dividing by T &gt; 0 never changes the predicted class.</para>
/// <para>A binary single-logit model's logit z is treated as the two class logits (0, z), giving σ(z / T). An immutable value; thread-safe.</para>
/// </remarks>
public sealed class TemperatureScaling : ICalibrator
{
    private const string Kind = "TemperatureScaling";

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
    /// <param name="classes">The number of classes, at least 2 (2 for a binary single-logit model).</param>
    /// <returns>The calibrator.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not finite and positive, or <paramref name="classes"/> is below 2.</exception>
    public static TemperatureScaling WithTemperature(double temperature, int classes)
    {
        Preconditions.Positive(temperature, nameof(temperature));
        Preconditions.AtLeast(classes, nameof(classes), 2);
        return new TemperatureScaling(temperature, classes);
    }

    /// <summary>Fits the temperature minimising the negative log-likelihood of the labels, with default options.</summary>
    /// <param name="logits">Validation logits <c>(N, C)</c>, or a binary model's logit <c>(N)</c> or <c>(N, 1)</c>; not disposed.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>; not disposed.</param>
    /// <returns>The fitted calibrator.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the logits are not finite or a label is out of range.</exception>
    public static TemperatureScaling Fit(Tensor logits, Tensor labels)
    {
        return Fit(logits, labels, new TemperatureScalingOptions());
    }

    /// <summary>Fits the temperature minimising the negative log-likelihood of the labels, within the options' bounds.</summary>
    /// <param name="logits">Validation logits <c>(N, C)</c>, or a binary model's logit <c>(N)</c> or <c>(N, 1)</c>; not disposed.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>; not disposed.</param>
    /// <param name="options">The temperature bounds.</param>
    /// <returns>The fitted calibrator; its temperature is a bound when the NLL has no minimum inside the bounds.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the logits are not finite, a label is out of range, or the options are invalid.</exception>
    public static TemperatureScaling Fit(Tensor logits, Tensor labels, TemperatureScalingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (z, y) = CalibrationInput.LogitsAndLabels(logits, labels);
        using (z)
        using (y)
        {
            var classes = (int)z.shape[1];
            var values = CalibrationInput.ToArray(z);
            var targets = CalibrationInput.ToArray(y);
            var beta = SolveInverseTemperature(values, targets, classes, 1 / options.MaxTemperature, 1 / options.MinTemperature);
            return new TemperatureScaling(1 / beta, classes);
        }
    }

    /// <summary>Loads a temperature scaling saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The calibrator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.IO.InvalidDataException">The file is corrupt, truncated, of another version or of another calibrator.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be read.</exception>
    public static TemperatureScaling Load(string path)
    {
        var root = CalibratorFile.Load(path, Kind);
        var temperature = CalibratorFile.Double(root, "temperature", path, Kind);
        var classes = CalibratorFile.Int(root, "classes", path, Kind);
        if (temperature <= 0 || classes < 2)
        {
            throw CalibratorFile.Invalid(path, Kind,
                string.Create(CultureInfo.InvariantCulture, $"it has temperature {temperature} and {classes} classes; expected T > 0 and at least 2 classes"));
        }

        return new TemperatureScaling(temperature, classes);
    }

    /// <inheritdoc />
    public Tensor Transform(Tensor logits)
    {
        using var scope = torch.NewDisposeScope();
        var z = CalibrationInput.Logits(logits, Classes);
        return z.div(Temperature).softmax(1).MoveToOuterDisposeScope();
    }

    /// <summary>Divides logits by the temperature, keeping their layout and dtype.</summary>
    /// <param name="logits">Class logits <c>(N, C)</c> or a binary logit <c>(N)</c>/<c>(N, 1)</c>; not disposed.</param>
    /// <returns>The scaled logits, a new tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="logits"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The logits are empty, of the wrong rank or class count, or not finite.</exception>
    public Tensor ScaleLogits(Tensor logits)
    {
        CalibrationInput.Logits(logits, Classes).Dispose();
        return logits.div(Temperature);
    }

    /// <inheritdoc />
    public void Save(string path)
    {
        CalibratorFile.Save(path, Kind, writer =>
        {
            writer.WriteNumber("classes", Classes);
            writer.WriteNumber("temperature", Temperature);
        });
    }

    /// <summary>Finds β in [betaMin, betaMax] minimising f(β) = mean(logsumexp(β zᵢ) − β zᵢ,yᵢ) by safeguarded Newton on f′.</summary>
    internal static double SolveInverseTemperature(double[] logits, double[] labels, int classes, double betaMin, double betaMax)
    {
        var n = labels.Length;
        var rowMax = new double[n];
        var labelMinusMax = 0.0;
        for (var i = 0; i < n; i++)
        {
            var row = logits.AsSpan(i * classes, classes);
            var max = double.NegativeInfinity;
            foreach (var v in row)
            {
                max = Math.Max(max, v);
            }

            rowMax[i] = max;
            labelMinusMax += row[(int)labels[i]] - max;
        }

        // f′(β) = mean(E_p[z] − z_y) = mean(S1/S0) − mean(z_y − max z), with S_k = Σ e^{β(z − max)}(z − max)^k.
        var target = labelMinusMax / n;
        double lo = betaMin, hi = betaMax;
        bool loChecked = false, hiChecked = false;
        var beta = Math.Clamp(1.0, betaMin, betaMax);
        for (var iteration = 0; iteration < 200; iteration++)
        {
            var (gradient, curvature) = Derivatives(logits, rowMax, classes, beta);
            gradient -= target;
            if (gradient == 0)
            {
                return beta;
            }

            if (gradient < 0)
            {
                lo = beta;
                loChecked = true;
            }
            else
            {
                hi = beta;
                hiChecked = true;
            }

            if (beta == betaMax && gradient < 0)
            {
                return betaMax;
            }

            if (beta == betaMin && gradient > 0)
            {
                return betaMin;
            }

            var next = curvature > 0 ? beta - (gradient / curvature) : double.NaN;
            if (!(next > lo && next < hi))
            {
                // The Newton step leaves the bracket: test an unchecked bound first, else bisect on a log scale.
                next = gradient < 0 && !hiChecked ? betaMax
                    : gradient > 0 && !loChecked ? betaMin
                    : Math.Sqrt(lo * hi);
            }

            // Quadratic convergence: after a Newton step of relative size 1e-12 the error is at the rounding floor.
            if (Math.Abs(next - beta) <= 1e-12 * beta || (loChecked && hiChecked && hi - lo <= 4e-16 * hi))
            {
                return next;
            }

            beta = next;
        }

        return beta;
    }

    /// <summary>Returns mean(S1/S0) and mean(S2/S0 − (S1/S0)²) at β: f′ + mean(z_y − max z) and f″.</summary>
    private static (double Gradient, double Curvature) Derivatives(double[] logits, double[] rowMax, int classes, double beta)
    {
        var n = rowMax.Length;
        var gradient = 0.0;
        var curvature = 0.0;
        var vBeta = Vector256.Create(beta);
        for (var i = 0; i < n; i++)
        {
            var row = logits.AsSpan(i * classes, classes);
            var vMax = Vector256.Create(rowMax[i]);
            var s0v = Vector256<double>.Zero;
            var s1v = Vector256<double>.Zero;
            var s2v = Vector256<double>.Zero;
            var c = 0;
            for (; c <= classes - 4; c += 4)
            {
                var d = Vector256.Create(row.Slice(c, 4)) - vMax;
                var e = Vector256.Exp(d * vBeta);
                var ed = e * d;
                s0v += e;
                s1v += ed;
                s2v += ed * d;
            }

            double s0 = Vector256.Sum(s0v), s1 = Vector256.Sum(s1v), s2 = Vector256.Sum(s2v);
            for (; c < classes; c++)
            {
                var d = row[c] - rowMax[i];
                var e = Math.Exp(beta * d);
                s0 += e;
                s1 += e * d;
                s2 += e * d * d;
            }

            var mean = s1 / s0;
            gradient += mean;
            curvature += Math.Max(0.0, (s2 / s0) - (mean * mean));
        }

        return (gradient / n, curvature / n);
    }
}
