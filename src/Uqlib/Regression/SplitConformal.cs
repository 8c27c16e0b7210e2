using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Conformal;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Regression;

/// <summary>Split conformal prediction intervals for regression: calibration scores fitted on a held-out set, the level α chosen at prediction.</summary>
/// <remarks>
/// <para>
/// Split (inductive) conformal prediction (Papadopoulos et al. 2002; Lei, G'Sell, Rinaldo, Tibshirani &amp; Wasserman 2018,
/// "Distribution-free predictive inference for regression"; Angelopoulos &amp; Bates 2021, "A gentle introduction to conformal
/// prediction"). Fitting keeps the n sorted calibration scores s₁…sₙ (see <see cref="ConformalScore"/>), so that one fit serves any
/// level: for α, q̂ is the k-th smallest score with the finite-sample correction k = ⌈(n + 1)(1 − α)⌉, i.e. the ⌈(n + 1)(1 − α)⌉/n
/// empirical quantile. If calibration and test samples are exchangeable, a new target falls in its interval with probability at least
/// 1 − α (and below 1 − α + 1/(n + 1) when scores have no ties). This needs k ≤ n, i.e. α ≥ 1/(n + 1), or n ≥ ⌈(1 − α)/α⌉
/// (<see cref="MinimumCalibrationCount"/>); a smaller α is an error at prediction. α is read to 15 significant digits, so that α = 0.1
/// with n = 9 gives k = 9 exactly.
/// </para>
/// <para>
/// <c>(N, D)</c> predictions get one quantile per target dimension (coverage holds for each dimension separately, not jointly).
/// Immutable and thread-safe.
/// </para>
/// </remarks>
public sealed class SplitConformal
{
    private const string Kind = "SplitConformal";
    private const int Version = 1;

    private readonly double[][] sortedScores;

    private SplitConformal(ConformalScore score, bool multiOutput, double[][] sortedScores)
    {
        Score = score;
        IsMultiOutput = multiOutput;
        this.sortedScores = sortedScores;
    }

    /// <summary>Gets the non-conformity score the calibration scores are of.</summary>
    public ConformalScore Score { get; }

    /// <summary>Gets the number n of calibration samples.</summary>
    public int CalibrationCount => sortedScores[0].Length;

    /// <summary>Gets a value indicating whether the calibration data were <c>(N, D)</c> (one quantile per dimension) rather than <c>(N)</c>.</summary>
    public bool IsMultiOutput { get; }

    /// <summary>The smallest calibration set for which the corrected quantile exists at level α: ⌈(1 − α)/α⌉.</summary>
    /// <param name="alpha">The miscoverage level α, in the open interval (0, 1).</param>
    /// <returns>The minimum number of calibration samples.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1), or so small that the count exceeds <see cref="int.MaxValue"/>.</exception>
    public static int MinimumCalibrationCount(double alpha)
    {
        return ConformalQuantile.MinimumCount(alpha, nameof(alpha));
    }

    /// <summary>Fits the absolute-residual scores |y − μ| on calibration predictions.</summary>
    /// <param name="mean">The calibration predictions, <c>(N)</c> or <c>(N, D)</c>.</param>
    /// <param name="targets">The calibration targets, of the shape of <paramref name="mean"/>.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of calibration samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted intervals.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of rank other than 1 or 2, or holds NaN or infinite values; or the shapes differ.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static SplitConformal FitAbsolute(Tensor mean, Tensor targets, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Preconditions.RegressionValues(mean, nameof(mean));
        Preconditions.SameShape(mean, nameof(mean), targets, nameof(targets));
        Preconditions.RegressionValues(targets, nameof(targets));
        using var scope = torch.NewDisposeScope();
        var scores = targets.to(ScalarType.Float64).sub(mean.to(ScalarType.Float64)).abs_();
        return EstimationProgress.Completed(progress, mean.shape[0], FromScores(ConformalScore.AbsoluteResidual, scores));
    }

    /// <summary>Fits the normalised-residual scores |y − μ| / σ on calibration predictions.</summary>
    /// <param name="mean">The calibration means, <c>(N)</c> or <c>(N, D)</c>.</param>
    /// <param name="variance">The calibration variances σ², of the shape of <paramref name="mean"/>, strictly positive.</param>
    /// <param name="targets">The calibration targets, of the shape of <paramref name="mean"/>.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of calibration samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted intervals.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of rank other than 1 or 2, or holds NaN or infinite values; the shapes differ; or a variance is ≤ 0.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static SplitConformal FitNormalized(Tensor mean, Tensor variance, Tensor targets, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Preconditions.Gaussian(mean, variance, targets);
        using var scope = torch.NewDisposeScope();
        var scores = targets.to(ScalarType.Float64).sub(mean.to(ScalarType.Float64)).abs_().div_(variance.to(ScalarType.Float64).sqrt());
        return EstimationProgress.Completed(progress, mean.shape[0], FromScores(ConformalScore.NormalizedResidual, scores));
    }

    /// <summary>Fits the absolute-residual scores on single-target calibration predictions.</summary>
    /// <param name="mean">The calibration predictions.</param>
    /// <param name="targets">The calibration targets, one per prediction.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of calibration samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted intervals, for <c>(N)</c> predictions.</returns>
    /// <exception cref="ArgumentException">A span is empty or holds NaN or infinite values, or the lengths differ.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static SplitConformal FitAbsolute(
        ReadOnlySpan<double> mean, ReadOnlySpan<double> targets, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Preconditions.RegressionValues(mean, nameof(mean));
        Preconditions.SameLength(mean, nameof(mean), targets, nameof(targets));
        Preconditions.Finite(targets, nameof(targets));
        var scores = new double[mean.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = Math.Abs(targets[i] - mean[i]);
        }

        Array.Sort(scores);
        return EstimationProgress.Completed(progress, scores.Length, new SplitConformal(ConformalScore.AbsoluteResidual, false, new[] { scores }));
    }

    /// <summary>Fits the normalised-residual scores |y − μ| / σ on single-target calibration predictions.</summary>
    /// <param name="mean">The calibration means.</param>
    /// <param name="variance">The calibration variances σ², strictly positive, one per mean.</param>
    /// <param name="targets">The calibration targets, one per mean.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of calibration samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted intervals, for <c>(N)</c> predictions.</returns>
    /// <exception cref="ArgumentException">A span is empty or holds NaN or infinite values; the lengths differ; or a variance is ≤ 0.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static SplitConformal FitNormalized(
        ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Preconditions.Gaussian(mean, variance, targets);
        var scores = new double[mean.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = Math.Abs(targets[i] - mean[i]) / Math.Sqrt(variance[i]);
        }

        Array.Sort(scores);
        return EstimationProgress.Completed(progress, scores.Length, new SplitConformal(ConformalScore.NormalizedResidual, false, new[] { scores }));
    }

    /// <summary>The quantiles q̂ at level α, one per target dimension (one for <c>(N)</c> predictions).</summary>
    /// <param name="alpha">The miscoverage level α, in (0, 1) and at least 1/(n + 1).</param>
    /// <returns>The ⌈(n + 1)(1 − α)⌉-th smallest calibration score of each dimension.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1), or is below 1/(n + 1): the message says which.</exception>
    public IReadOnlyList<double> Quantiles(double alpha)
    {
        var k = ConformalQuantile.CheckedRank(CalibrationCount, alpha, nameof(alpha), "the calibration scores");
        var result = new double[sortedScores.Length];
        for (var d = 0; d < result.Length; d++)
        {
            result[d] = sortedScores[d][k - 1];
        }

        return result;
    }

    /// <summary>Gives absolute-residual intervals μ ± q̂ for new predictions.</summary>
    /// <param name="mean">The predictions, <c>(N)</c> or <c>(N, D)</c> as at fitting. Not disposed.</param>
    /// <param name="alpha">The miscoverage level α, in (0, 1) and at least 1/(n + 1) (0.1 for 90% intervals).</param>
    /// <returns>New intervals in the predictions' dtype and device; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="mean"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, holds NaN or infinite values or has another shape than at fitting.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1), or is below 1/(n + 1).</exception>
    /// <exception cref="InvalidOperationException">The scores are normalised residuals: call <see cref="Predict(Tensor, Tensor, double)"/> with the variances.</exception>
    public PredictionInterval Predict(Tensor mean, double alpha)
    {
        if (Score != ConformalScore.AbsoluteResidual)
        {
            throw new InvalidOperationException("This SplitConformal was fitted on normalised residuals; call Predict(mean, variance, alpha) with the predicted variances.");
        }

        CheckPredictionShape(mean, nameof(mean));
        var quantiles = Quantiles(alpha);
        using var scope = torch.NewDisposeScope();
        var half = QuantileTensor(quantiles, mean);
        return Interval(mean, half);
    }

    /// <summary>Gives intervals for new Gaussian predictions: μ ± q̂·σ (normalised residuals) or μ ± q̂ (absolute residuals, variance unused).</summary>
    /// <param name="mean">The means, <c>(N)</c> or <c>(N, D)</c> as at fitting. Not disposed.</param>
    /// <param name="variance">The variances σ², of the shape of <paramref name="mean"/>, strictly positive. Not disposed.</param>
    /// <param name="alpha">The miscoverage level α, in (0, 1) and at least 1/(n + 1).</param>
    /// <returns>New intervals in the means' dtype and device; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or holds NaN or infinite values, the shapes differ from each other or from fitting, or a variance is ≤ 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1), or is below 1/(n + 1).</exception>
    public PredictionInterval Predict(Tensor mean, Tensor variance, double alpha)
    {
        CheckPredictionShape(mean, nameof(mean));
        Preconditions.SameShape(mean, nameof(mean), variance, nameof(variance));
        Preconditions.RegressionValues(variance, nameof(variance));
        Preconditions.PositiveValues(variance, nameof(variance));
        var quantiles = Quantiles(alpha);
        using var scope = torch.NewDisposeScope();
        var half = QuantileTensor(quantiles, mean);
        if (Score == ConformalScore.NormalizedResidual)
        {
            half = variance.to(mean.dtype).sqrt().mul_(half);
        }

        return Interval(mean, half);
    }

    /// <summary>Saves the sorted calibration scores to a checksummed file, atomically (a failed save leaves an existing file unchanged).</summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        var flat = new double[sortedScores.Length * CalibrationCount];
        for (var d = 0; d < sortedScores.Length; d++)
        {
            sortedScores[d].CopyTo(flat, d * CalibrationCount);
        }

        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Enum("score", Score);
            writer.Boolean("multiOutput", IsMultiOutput);
            writer.Number("dimensions", (long)sortedScores.Length);
            writer.Numbers("scores", flat);
        });
    }

    /// <summary>Loads intervals saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The fitted intervals, giving results identical to the saved ones.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a split-conformal file, is of another version, truncated or corrupt, or holds inconsistent values.</exception>
    public static SplitConformal Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var score = reader.Enum<ConformalScore>("score");
            var multi = reader.Boolean("multiOutput");
            var dimensions = reader.Int32("dimensions");
            var values = reader.Doubles("scores");
            if (dimensions < 1 || values.Length == 0 || values.Length % dimensions != 0 || (!multi && dimensions != 1))
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"{values.Length} scores cannot be {dimensions} columns of one length"));
            }

            var n = values.Length / dimensions;
            var columns = new double[dimensions][];
            for (var d = 0; d < dimensions; d++)
            {
                columns[d] = values.AsSpan(d * n, n).ToArray();
                for (var i = 0; i < n; i++)
                {
                    if (columns[d][i] < 0 || (i > 0 && columns[d][i] < columns[d][i - 1]))
                    {
                        throw reader.Invalid("scores must be ≥ 0 and sorted within each dimension");
                    }
                }
            }

            return new SplitConformal(score, multi, columns);
        });
    }

    /// <inheritdoc />
    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture,
            $"SplitConformal({Score}, n = {CalibrationCount}, D = {sortedScores.Length})");
    }

    private static SplitConformal FromScores(ConformalScore score, Tensor scores)
    {
        var multi = scores.dim() == 2;
        var columns = multi ? scores.t() : scores.unsqueeze(0);
        var (sorted, _) = columns.sort(1);
        var flat = CalibrationInput.ToArray(sorted);
        var n = (int)scores.shape[0];
        var result = new double[sorted.shape[0]][];
        for (var d = 0; d < result.Length; d++)
        {
            result[d] = flat.AsSpan(d * n, n).ToArray();
        }

        return new SplitConformal(score, multi, result);
    }

    private void CheckPredictionShape(Tensor mean, string name)
    {
        Preconditions.RegressionValues(mean, name);
        var expectedRank = IsMultiOutput ? 2 : 1;
        if (mean.dim() != expectedRank || (IsMultiOutput && mean.shape[1] != sortedScores.Length))
        {
            var expected = IsMultiOutput ? string.Create(CultureInfo.InvariantCulture, $"(N, {sortedScores.Length})") : "(N)";
            throw new ArgumentException(
                $"{name} must have shape {expected} as the calibration data had; found {Preconditions.ShapeText(mean)}.", name);
        }
    }

    /// <summary>The quantiles as a tensor broadcasting over <paramref name="mean"/>: a scalar for <c>(N)</c>, a <c>(D)</c> row for <c>(N, D)</c>.</summary>
    private Tensor QuantileTensor(IReadOnlyList<double> quantiles, Tensor mean)
    {
        return IsMultiOutput
            ? torch.tensor(quantiles.ToArray(), dtype: ScalarType.Float64, device: mean.device).to(mean.dtype)
            : torch.tensor(quantiles[0], dtype: ScalarType.Float64, device: mean.device).to(mean.dtype);
    }

    private static PredictionInterval Interval(Tensor mean, Tensor half)
    {
        var lower = mean.sub(half).MoveToOuterDisposeScope();
        var upper = mean.add(half).MoveToOuterDisposeScope();
        return new PredictionInterval(lower, upper);
    }
}
