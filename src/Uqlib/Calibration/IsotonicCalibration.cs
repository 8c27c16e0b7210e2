using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Calibration;

/// <summary>Isotonic calibration: a non-decreasing, piecewise-linear map of each class's probability fitted by pool-adjacent-violators, one-vs-rest, renormalised.</summary>
/// <remarks>
/// <para>Zadrozny &amp; Elkan 2002, "Transforming classifier scores into accurate multiclass probability estimates". Each class c gets the
/// isotonic regression of the indicator y = c on the model's probability p_c (values closer than 1e-15 merged, their targets averaged),
/// interpolated linearly between its thresholds and clipped outside them — exactly scikit-learn's
/// <c>IsotonicRegression(out_of_bounds="clip")</c> inside <c>CalibratedClassifierCV(method="isotonic")</c>. Multiclass rows are divided
/// by their sum (uniform where every class maps to 0); a binary model calibrates the positive class and takes 1 − p for the other.</para>
/// <para>Logits are <c>(N, C)</c> (softmax) or a binary model's <c>(N)</c>/<c>(N, 1)</c> (sigmoid). An immutable value; thread-safe.</para>
/// </remarks>
public sealed class IsotonicCalibration : ICalibrator
{
    private const string Kind = "IsotonicCalibration";
    private const int Version = 1;
    private const double MergeTolerance = 1e-15;

    private readonly double[][] thresholds;
    private readonly double[][] values;

    private IsotonicCalibration(int classes, double[][] thresholds, double[][] values)
    {
        Classes = classes;
        this.thresholds = thresholds;
        this.values = values;
    }

    /// <inheritdoc />
    public int Classes { get; }

    /// <summary>Fits one isotonic map per class (the positive class only for a binary model) on validation logits.</summary>
    /// <param name="logits">Logits <c>(N, C)</c>, or a binary model's <c>(N)</c>/<c>(N, 1)</c>; not disposed.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>; not disposed.</param>
    /// <returns>The fitted calibrator.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the logits are not finite or are probabilities (every value in [0, 1], every row summing to 1: pass logits or log-probabilities) or a label is out of range.</exception>
    public static IsotonicCalibration Fit(Tensor logits, Tensor labels)
    {
        return Fit(logits, labels, null);
    }

    /// <summary>Fits one isotonic map per class (the positive class only for a binary model) on validation logits.</summary>
    /// <param name="logits">Logits <c>(N, C)</c>, or a binary model's <c>(N)</c>/<c>(N, 1)</c>; not disposed.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>; not disposed.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts and once per class.</param>
    /// <returns>The fitted calibrator.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the logits are not finite or are probabilities (every value in [0, 1], every row summing to 1: pass logits or log-probabilities) or a label is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static IsotonicCalibration Fit(Tensor logits, Tensor labels, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (z, y) = CalibrationInput.LogitsAndLabels(logits, labels);
        using (z)
        using (y)
        {
            var classes = (int)z.shape[1];
            var p = Probabilities(z);
            var truth = CalibrationInput.ToArray(y);
            var fitted = classes == 2 ? new[] { 1 } : Enumerable.Range(0, classes).ToArray();
            var x = new double[fitted.Length][];
            var v = new double[fitted.Length][];
            var column = new double[truth.Length];
            var target = new double[truth.Length];
            for (var k = 0; k < fitted.Length; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                for (var i = 0; i < truth.Length; i++)
                {
                    column[i] = p[(i * classes) + fitted[k]];
                    target[i] = truth[i] == fitted[k] ? 1.0 : 0.0;
                }

                (x[k], v[k]) = FitOne(column, target);
            }

            return EstimationProgress.Completed(progress, truth.Length, new IsotonicCalibration(classes, x, v));
        }
    }

    /// <summary>Loads an isotonic calibration saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The calibrator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.IO.InvalidDataException">The file is corrupt (checksum), truncated, of a newer version, of another kind, or saved by Uqlib 0.1.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be read.</exception>
    public static IsotonicCalibration Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var classes = reader.Int32("classes");
            if (classes < 2)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"it has {classes} classes; expected at least 2"));
            }

            var maps = reader.Objects("maps");
            var expected = classes == 2 ? 1 : classes;
            if (maps.Count != expected)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"\"maps\" holds {maps.Count} maps; expected {expected}"));
            }

            var x = new double[expected][];
            var v = new double[expected][];
            for (var k = 0; k < expected; k++)
            {
                x[k] = maps[k].Doubles("x");
                v[k] = maps[k].Doubles("y", x[k].Length);
                if (x[k].Length == 0)
                {
                    throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"map {k} has no thresholds"));
                }

                for (var i = 0; i < x[k].Length; i++)
                {
                    if ((i > 0 && (x[k][i] <= x[k][i - 1] || v[k][i] < v[k][i - 1])) || v[k][i] < 0 || v[k][i] > 1)
                    {
                        throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"map {k} is not increasing within [0, 1] at threshold {i}"));
                    }
                }
            }

            return new IsotonicCalibration(classes, x, v);
        });
    }

    /// <inheritdoc />
    public Tensor Transform(Tensor logits)
    {
        double[] p;
        long n;
        using (var z = CalibrationInput.Logits(logits, Classes))
        {
            n = z.shape[0];
            p = Probabilities(z);
        }

        var result = new double[p.Length];
        for (var row = 0; row < n; row++)
        {
            var offset = (int)row * Classes;
            if (Classes == 2)
            {
                var positive = Interpolate(thresholds[0], values[0], p[offset + 1]);
                result[offset] = 1 - positive;
                result[offset + 1] = positive;
                continue;
            }

            var sum = 0.0;
            for (var c = 0; c < Classes; c++)
            {
                result[offset + c] = Interpolate(thresholds[c], values[c], p[offset + c]);
                sum += result[offset + c];
            }

            for (var c = 0; c < Classes; c++)
            {
                result[offset + c] = sum > 0 ? result[offset + c] / sum : 1.0 / Classes;
            }
        }

        return torch.tensor(result, new[] { n, (long)Classes }, ScalarType.Float64, logits.device);
    }

    /// <inheritdoc />
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Number("classes", Classes);
            writer.Objects("maps", Enumerable.Range(0, thresholds.Length), (map, k) =>
            {
                map.Numbers("x", thresholds[k]);
                map.Numbers("y", values[k]);
            });
        });
    }

    /// <summary>The isotonic regression of <paramref name="target"/> on <paramref name="x"/>: sorted unique thresholds and their fitted values.</summary>
    internal static (double[] Thresholds, double[] Values) FitOne(double[] x, double[] target)
    {
        var n = x.Length;
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        var keys = (double[])x.Clone();
        Array.Sort(keys, order);

        // Merge values within MergeTolerance of their group's first value (scikit-learn's _make_unique), averaging the targets.
        var ux = new List<double>();
        var uy = new List<double>();
        var uw = new List<double>();
        for (var i = 0; i < n;)
        {
            var first = keys[i];
            double sum = 0, weight = 0;
            while (i < n && keys[i] - first < MergeTolerance)
            {
                sum += target[order[i]];
                weight++;
                i++;
            }

            ux.Add(first);
            uy.Add(sum / weight);
            uw.Add(weight);
        }

        // Pool adjacent violators on the weighted unique points.
        var m = ux.Count;
        var blockValue = new double[m];
        var blockWeight = new double[m];
        var blockEnd = new int[m];
        var blocks = 0;
        for (var i = 0; i < m; i++)
        {
            blockValue[blocks] = uy[i];
            blockWeight[blocks] = uw[i];
            blockEnd[blocks] = i;
            blocks++;
            while (blocks > 1 && blockValue[blocks - 2] >= blockValue[blocks - 1])
            {
                var w = blockWeight[blocks - 2] + blockWeight[blocks - 1];
                blockValue[blocks - 2] = ((blockValue[blocks - 2] * blockWeight[blocks - 2]) + (blockValue[blocks - 1] * blockWeight[blocks - 1])) / w;
                blockWeight[blocks - 2] = w;
                blockEnd[blocks - 2] = blockEnd[blocks - 1];
                blocks--;
            }
        }

        var fitted = new double[m];
        var start = 0;
        for (var b = 0; b < blocks; b++)
        {
            for (var i = start; i <= blockEnd[b]; i++)
            {
                fitted[i] = blockValue[b];
            }

            start = blockEnd[b] + 1;
        }

        return (ux.ToArray(), fitted);
    }

    private static double Interpolate(double[] x, double[] y, double value)
    {
        if (value <= x[0])
        {
            return y[0];
        }

        if (value >= x[^1])
        {
            return y[^1];
        }

        var hi = Array.BinarySearch(x, value);
        if (hi >= 0)
        {
            return y[hi];
        }

        hi = ~hi;
        var lo = hi - 1;
        return y[lo] + ((y[hi] - y[lo]) * (value - x[lo]) / (x[hi] - x[lo]));
    }

    private static double[] Probabilities(Tensor z)
    {
        using var p = z.softmax(1);
        return CalibrationInput.ToArray(p);
    }

    /// <summary>A one-line description of the fitted value (scikit-learn's repr style, invariant culture), e.g. for logs and notebooks.</summary>
    /// <returns>The type name and its fitted parameters.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"IsotonicCalibration(classes={Classes})");
}
