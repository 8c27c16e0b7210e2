using System;
using System.Globalization;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Calibration;

/// <summary>Platt scaling of a binary model: calibrated positive-class probability σ(a·z + b) of the logit z, with a and b fitted by maximum likelihood on Platt's smoothed targets.</summary>
/// <remarks>
/// <para>Platt 1999, "Probabilistic outputs for support vector machines"; the fit follows Lin, Lin &amp; Weng 2007 ("A note on Platt's probabilistic
/// outputs"): targets (N₊ + 1)/(N₊ + 2) for positives and 1/(N₋ + 2) for negatives, minimised by Newton's method with a backtracking line
/// search to convergence. It gives scikit-learn's <c>CalibratedClassifierCV(method="sigmoid")</c> map (whose <c>A</c>, <c>B</c> are −a, −b).
/// The smoothed targets keep the fit finite for a one-class validation set (a = 0, b = logit of the smoothed target).</para>
/// <para>Logits are a binary model's <c>(N)</c> or <c>(N, 1)</c>, or two-class logits <c>(N, 2)</c> read as z = z₁ − z₀. An immutable value; thread-safe.</para>
/// </remarks>
public sealed class PlattScaling : ICalibrator
{
    private const string Kind = "PlattScaling";
    private const int Version = 1;

    private PlattScaling(double slope, double intercept)
    {
        Slope = slope;
        Intercept = intercept;
    }

    /// <summary>Gets the slope a of σ(a·z + b).</summary>
    public double Slope { get; }

    /// <summary>Gets the intercept b of σ(a·z + b).</summary>
    public double Intercept { get; }

    /// <inheritdoc />
    public int Classes => 2;

    /// <summary>Fits a and b on a binary model's validation logits.</summary>
    /// <param name="logits">Logits <c>(N)</c>, <c>(N, 1)</c> or two-class <c>(N, 2)</c>; not disposed.</param>
    /// <param name="labels">Labels <c>(N)</c>, 0 or 1; not disposed.</param>
    /// <returns>The fitted calibrator.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of the wrong rank or class count, the lengths differ, the logits are not finite or are probabilities (every value in [0, 1], every row summing to 1: pass logits or log-probabilities) or a label is not 0 or 1.</exception>
    public static PlattScaling Fit(Tensor logits, Tensor labels)
    {
        return Fit(logits, labels, null);
    }

    /// <summary>Fits a and b on a binary model's validation logits.</summary>
    /// <param name="logits">Logits <c>(N)</c>, <c>(N, 1)</c> or two-class <c>(N, 2)</c>; not disposed.</param>
    /// <param name="labels">Labels <c>(N)</c>, 0 or 1; not disposed.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts and at every Newton iteration.</param>
    /// <returns>The fitted calibrator.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of the wrong rank or class count, the lengths differ, the logits are not finite or are probabilities (every value in [0, 1], every row summing to 1: pass logits or log-probabilities) or a label is not 0 or 1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static PlattScaling Fit(Tensor logits, Tensor labels, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (z, y) = CalibrationInput.LogitsAndLabels(logits, labels);
        using (z)
        using (y)
        {
            CheckBinary(z, logits);
            double[] values;
            using (var difference = z.select(1, 1).sub(z.select(1, 0)))
            {
                values = CalibrationInput.ToArray(difference);
            }

            var (slope, intercept) = Solve(values, CalibrationInput.ToArray(y), cancellationToken);
            return EstimationProgress.Completed(progress, values.Length, new PlattScaling(slope, intercept));
        }
    }

    /// <summary>Loads a Platt scaling saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The calibrator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.IO.InvalidDataException">The file is corrupt (checksum), truncated, of a newer version, of another kind, or saved by Uqlib 0.1.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be read.</exception>
    public static PlattScaling Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader => new PlattScaling(reader.Double("slope"), reader.Double("intercept")));
    }

    /// <inheritdoc />
    public Tensor Transform(Tensor logits)
    {
        using var scope = torch.NewDisposeScope();
        var z = CalibrationInput.Logits(logits, Classes);
        var positive = z.select(1, 1).sub(z.select(1, 0)).mul_(Slope).add_(Intercept).sigmoid_();
        return torch.stack(new[] { positive.neg().add_(1.0), positive }, 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Number("slope", Slope);
            writer.Number("intercept", Intercept);
        });
    }

    private static void CheckBinary(Tensor z, Tensor logits)
    {
        if (z.shape[1] != 2)
        {
            throw new ArgumentException(
                $"Platt scaling is binary: logits must have shape (N), (N, 1) or (N, 2); found {Preconditions.ShapeText(logits)}.", nameof(logits));
        }
    }

    /// <summary>Minimises Σ −[tᵢ log pᵢ + (1 − tᵢ) log(1 − pᵢ)], pᵢ = σ(a zᵢ + b), by Newton with backtracking (Lin, Lin &amp; Weng 2007, Algorithm 1).</summary>
    private static (double Slope, double Intercept) Solve(double[] z, double[] y, CancellationToken cancellationToken)
    {
        var n = z.Length;
        var positives = 0.0;
        foreach (var label in y)
        {
            positives += label;
        }

        var negatives = n - positives;
        var high = (positives + 1) / (positives + 2);
        var low = 1 / (negatives + 2);
        var t = new double[n];
        for (var i = 0; i < n; i++)
        {
            t[i] = y[i] > 0 ? high : low;
        }

        double a = 0, b = Math.Log((positives + 1) / (negatives + 1));
        var loss = Loss(z, t, a, b);
        for (var iteration = 0; iteration < 100; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            double gA = 0, gB = 0, hAA = 1e-12, hAB = 0, hBB = 1e-12;
            for (var i = 0; i < n; i++)
            {
                var p = Sigmoid((a * z[i]) + b);
                var d = p - t[i];
                var w = p * (1 - p);
                gA += d * z[i];
                gB += d;
                hAA += w * z[i] * z[i];
                hAB += w * z[i];
                hBB += w;
            }

            if (Math.Abs(gA) < 1e-12 * n && Math.Abs(gB) < 1e-12 * n)
            {
                break;
            }

            var det = (hAA * hBB) - (hAB * hAB);
            var dA = -((hBB * gA) - (hAB * gB)) / det;
            var dB = -((hAA * gB) - (hAB * gA)) / det;
            var slope = (gA * dA) + (gB * dB);
            var step = 1.0;
            while (step >= 1e-10 && Loss(z, t, a + (step * dA), b + (step * dB)) > loss + (1e-4 * step * slope))
            {
                step /= 2;
            }

            if (step < 1e-10)
            {
                break;
            }

            a += step * dA;
            b += step * dB;
            loss = Loss(z, t, a, b);
            if (step * (Math.Abs(dA) + Math.Abs(dB)) <= 1e-15 * (1 + Math.Abs(a) + Math.Abs(b)))
            {
                break;
            }
        }

        if (!double.IsFinite(a) || !double.IsFinite(b))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Platt scaling found no finite fit for these {n} logits (slope {a}, intercept {b})."), "logits");
        }

        return (a, b);
    }

    private static double Loss(double[] z, double[] t, double a, double b)
    {
        var sum = 0.0;
        for (var i = 0; i < z.Length; i++)
        {
            // −[t log σ(f) + (1 − t) log(1 − σ(f))] = log(1 + e^f) − t f, computed stably.
            var f = (a * z[i]) + b;
            sum += (f > 0 ? f + Math.Log(1 + Math.Exp(-f)) : Math.Log(1 + Math.Exp(f))) - (t[i] * f);
        }

        return sum;
    }

    private static double Sigmoid(double f)
    {
        return f >= 0 ? 1 / (1 + Math.Exp(-f)) : Math.Exp(f) / (1 + Math.Exp(f));
    }

    /// <summary>A one-line description of the fitted value (scikit-learn's repr style, invariant culture), e.g. for logs and notebooks.</summary>
    /// <returns>The type name and its fitted parameters.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"PlattScaling(slope={Slope:0.####}, intercept={Intercept:0.####})");
}
