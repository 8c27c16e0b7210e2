using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Persistence;
using Uqlib.Regression;
using static TorchSharp.torch;

namespace Uqlib.Conformal;

/// <summary>
/// Conformalised quantile regression (CQR): intervals from a model's lower and upper quantile predictions, widened (or narrowed) by a
/// calibrated margin so that they cover 1 − α of new targets; α is chosen at prediction.
/// </summary>
/// <remarks>
/// <para>
/// Romano, Patterson &amp; Candès 2019, "Conformalized quantile regression" (NeurIPS): on n calibration samples the scores are
/// E_i = max(lo_i − y_i, y_i − hi_i) (negative inside the band); q̂ is the k-th smallest, k = ⌈(n + 1)(1 − α)⌉, and the interval of a
/// new input is [lo − q̂, hi + q̂]. For exchangeable data it covers with probability at least 1 − α (below 1 − α + 1/(n + 1) without
/// ties), whatever the quality of the quantile model; a good model gives intervals that adapt to the local spread.
/// </para>
/// <para>
/// The model's quantile levels are its own (typically α/2 and 1 − α/2 of the α it was trained for); the guarantee holds for any α
/// asked here. Only <c>(N)</c> targets. Immutable and thread-safe; it holds no tensors.
/// </para>
/// </remarks>
public sealed class ConformalizedQuantileRegression
{
    private const string Kind = "ConformalizedQuantileRegression";
    private const int Version = 1;

    private readonly double[] sortedScores;

    private ConformalizedQuantileRegression(double[] sortedScores)
    {
        this.sortedScores = sortedScores;
    }

    /// <summary>Gets the number n of calibration samples.</summary>
    public int CalibrationCount => sortedScores.Length;

    /// <summary>Fits the calibration scores max(lo − y, y − hi).</summary>
    /// <param name="lower">The model's lower quantile predictions <c>(N)</c>. Not disposed.</param>
    /// <param name="upper">The model's upper quantile predictions <c>(N)</c>. Not disposed.</param>
    /// <param name="targets">The calibration targets <c>(N)</c>. Not disposed.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of calibration samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted CQR.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, not of rank 1, or holds NaN or infinite values; or the lengths differ.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static ConformalizedQuantileRegression Fit(
        Tensor lower, Tensor upper, Tensor targets, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        CheckBand(lower, upper);
        Preconditions.SameShape(lower, nameof(lower), targets, nameof(targets));
        Preconditions.RegressionValues(targets, nameof(targets));
        using var scope = torch.NewDisposeScope();
        var y = targets.to(ScalarType.Float64);
        var scores = lower.to(ScalarType.Float64).sub(y).maximum(y.sub(upper.to(ScalarType.Float64)));
        var (sorted, _) = scores.sort();
        return EstimationProgress.Completed(progress, targets.shape[0], new ConformalizedQuantileRegression(CalibrationInput.ToArray(sorted)));
    }

    /// <summary>The margin q̂ at level α: the ⌈(n + 1)(1 − α)⌉-th smallest calibration score (negative when the band is too wide).</summary>
    /// <param name="alpha">The miscoverage level α, in (0, 1) and at least 1/(n + 1).</param>
    /// <returns>The margin added below and above the band.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1), or is below 1/(n + 1): the message says which.</exception>
    public double Margin(double alpha)
    {
        var k = ConformalQuantile.CheckedRank(sortedScores.Length, alpha, nameof(alpha), "the calibration scores");
        return sortedScores[k - 1];
    }

    /// <summary>Gives the intervals [lo − q̂, hi + q̂] of new inputs.</summary>
    /// <param name="lower">The model's lower quantile predictions <c>(N)</c>. Not disposed.</param>
    /// <param name="upper">The model's upper quantile predictions <c>(N)</c>. Not disposed.</param>
    /// <param name="alpha">The miscoverage level α, in (0, 1) and at least 1/(n + 1).</param>
    /// <returns>New intervals in the predictions' dtype and device; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, not of rank 1, or holds NaN or infinite values; or the lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1), or is below 1/(n + 1).</exception>
    /// <remarks>With a negative margin an interval can be empty (lower bound above the upper), as the paper allows; it then covers nothing.</remarks>
    public PredictionInterval Predict(Tensor lower, Tensor upper, double alpha)
    {
        CheckBand(lower, upper);
        var margin = Margin(alpha);
        using var scope = torch.NewDisposeScope();
        var q = torch.tensor(margin, ScalarType.Float64, lower.device).to(lower.dtype);
        return new PredictionInterval(lower.sub(q).MoveToOuterDisposeScope(), upper.to(lower.dtype).add(q).MoveToOuterDisposeScope());
    }

    /// <summary>Saves the sorted calibration scores to a checksummed file, atomically.</summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, writer => writer.Numbers("scores", sortedScores));
    }

    /// <summary>Loads a CQR saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The CQR, giving margins identical to the saved one's.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a CQR file, is of another version, truncated or corrupt, or its scores are not sorted.</exception>
    public static ConformalizedQuantileRegression Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var values = reader.Doubles("scores");
            for (var i = 1; i < values.Length; i++)
            {
                if (values[i] < values[i - 1])
                {
                    throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"scores are not sorted at item {i}"));
                }
            }

            if (values.Length == 0)
            {
                throw reader.Invalid("it has no calibration score");
            }

            return new ConformalizedQuantileRegression(values);
        });
    }

    /// <inheritdoc />
    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture, $"ConformalizedQuantileRegression(n = {CalibrationCount})");
    }

    private static void CheckBand(Tensor lower, Tensor upper)
    {
        Preconditions.Tensor(lower, nameof(lower), 1, 1);
        Preconditions.RegressionValues(lower, nameof(lower));
        Preconditions.SameShape(lower, nameof(lower), upper, nameof(upper));
        Preconditions.RegressionValues(upper, nameof(upper));
    }
}
