using System;
using System.Globalization;
using System.Linq;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Calibration;

/// <summary>Histogram binning: each class's probability is replaced by the fraction of that class among the validation samples in its equal-width bin, one-vs-rest, renormalised.</summary>
/// <remarks>
/// <para>Zadrozny &amp; Elkan 2001, "Obtaining calibrated probability estimates from decision trees and naive Bayesian classifiers". Bin b holds
/// probabilities in (b/B, (b + 1)/B], bin 0 also holding 0. A bin no validation sample fell in keeps its midpoint (b + ½)/B, so sparse
/// validation sets (fewer samples than bins) leave those probabilities roughly as they were rather than failing. Multiclass rows are
/// divided by their sum (uniform where every class maps to 0); a binary model calibrates the positive class and takes 1 − p for the other.</para>
/// <para>Logits are <c>(N, C)</c> (softmax) or a binary model's <c>(N)</c>/<c>(N, 1)</c> (sigmoid). An immutable value; thread-safe.</para>
/// </remarks>
public sealed class HistogramBinning : ICalibrator
{
    private const string Kind = "HistogramBinning";
    private const int Version = 1;

    private readonly double[][] binValues;

    private HistogramBinning(int classes, int bins, double[][] binValues)
    {
        Classes = classes;
        Bins = bins;
        this.binValues = binValues;
    }

    /// <inheritdoc />
    public int Classes { get; }

    /// <summary>Gets the number of equal-width bins per class.</summary>
    public int Bins { get; }

    /// <summary>Fits the bins with default options (15 bins).</summary>
    /// <param name="logits">Logits <c>(N, C)</c>, or a binary model's <c>(N)</c>/<c>(N, 1)</c>; not disposed.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>; not disposed.</param>
    /// <returns>The fitted calibrator.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the logits are not finite or are probabilities (every value in [0, 1], every row summing to 1: pass logits or log-probabilities) or a label is out of range.</exception>
    public static HistogramBinning Fit(Tensor logits, Tensor labels)
    {
        return Fit(logits, labels, new HistogramBinningOptions());
    }

    /// <summary>Fits the bins: per class, the fraction of that class among the validation samples in each bin.</summary>
    /// <param name="logits">Logits <c>(N, C)</c>, or a binary model's <c>(N)</c>/<c>(N, 1)</c>; not disposed.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>; not disposed.</param>
    /// <param name="options">The number of bins.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts and once per class.</param>
    /// <returns>The fitted calibrator.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the logits are not finite or are probabilities (every value in [0, 1], every row summing to 1: pass logits or log-probabilities), a label is out of range, or the options are invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static HistogramBinning Fit(Tensor logits, Tensor labels, HistogramBinningOptions options, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (z, y) = CalibrationInput.LogitsAndLabels(logits, labels);
        using (z)
        using (y)
        {
            var classes = (int)z.shape[1];
            var bins = options.Bins;
            double[] p;
            using (var probabilities = z.softmax(1))
            {
                p = CalibrationInput.ToArray(probabilities);
            }

            var truth = CalibrationInput.ToArray(y);
            var fitted = classes == 2 ? new[] { 1 } : Enumerable.Range(0, classes).ToArray();
            var result = new double[fitted.Length][];
            var counts = new double[bins];
            var hits = new double[bins];
            for (var k = 0; k < fitted.Length; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Array.Clear(counts);
                Array.Clear(hits);
                for (var i = 0; i < truth.Length; i++)
                {
                    var b = Binning.EqualWidthBin(p[(i * classes) + fitted[k]], bins);
                    counts[b]++;
                    hits[b] += truth[i] == fitted[k] ? 1 : 0;
                }

                result[k] = new double[bins];
                for (var b = 0; b < bins; b++)
                {
                    result[k][b] = counts[b] > 0 ? hits[b] / counts[b] : (b + 0.5) / bins;
                }
            }

            return EstimationProgress.Completed(progress, truth.Length, new HistogramBinning(classes, bins, result));
        }
    }

    /// <summary>Loads a histogram binning saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The calibrator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.IO.InvalidDataException">The file is corrupt (checksum), truncated, of a newer version, of another kind, or saved by Uqlib 0.1.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be read.</exception>
    public static HistogramBinning Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var classes = reader.Int32("classes");
            var bins = reader.Int32("bins");
            if (classes < 2 || bins < 1)
            {
                throw reader.Invalid(
                    string.Create(CultureInfo.InvariantCulture, $"it has {classes} classes and {bins} bins; expected at least 2 classes and 1 bin"));
            }

            var rows = reader.Objects("maps");
            var maps = classes == 2 ? 1 : classes;
            if (rows.Count != maps)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"\"maps\" holds {rows.Count} maps; expected {maps}"));
            }

            var values = new double[maps][];
            for (var k = 0; k < maps; k++)
            {
                values[k] = rows[k].Doubles("values", bins);
                if (values[k].Any(v => v < 0 || v > 1))
                {
                    throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"map {k} holds values outside [0, 1]"));
                }
            }

            return new HistogramBinning(classes, bins, values);
        });
    }

    /// <inheritdoc />
    public Tensor Transform(Tensor logits)
    {
        double[] p;
        long n;
        using (var scope = torch.NewDisposeScope())
        {
            var z = CalibrationInput.Logits(logits, Classes);
            n = z.shape[0];
            p = CalibrationInput.ToArray(z.softmax(1));
        }

        var result = new double[p.Length];
        for (var row = 0; row < n; row++)
        {
            var offset = (int)row * Classes;
            if (Classes == 2)
            {
                var positive = binValues[0][Binning.EqualWidthBin(p[offset + 1], Bins)];
                result[offset] = 1 - positive;
                result[offset + 1] = positive;
                continue;
            }

            var sum = 0.0;
            for (var c = 0; c < Classes; c++)
            {
                result[offset + c] = binValues[c][Binning.EqualWidthBin(p[offset + c], Bins)];
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
            writer.Number("bins", Bins);
            writer.Objects("maps", binValues, (map, row) => map.Numbers("values", row));
        });
    }

    /// <summary>A one-line description of the fitted value (scikit-learn's repr style, invariant culture), e.g. for logs and notebooks.</summary>
    /// <returns>The type name and its fitted parameters.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"HistogramBinning(bins={Bins}, classes={Classes})");
}
