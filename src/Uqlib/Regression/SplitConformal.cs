using System;
using Uqlib.Persistence;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TorchSharp;
using Uqlib.Calibration;
using static TorchSharp.torch;

namespace Uqlib.Regression;

/// <summary>Split conformal prediction intervals for regression: a score quantile fitted on a held-out calibration set.</summary>
/// <remarks>
/// <para>
/// Split (inductive) conformal prediction (Papadopoulos et al. 2002; Lei, G'Sell, Rinaldo, Tibshirani &amp; Wasserman 2018,
/// "Distribution-free predictive inference for regression"; Angelopoulos &amp; Bates 2021, "A gentle introduction to conformal
/// prediction"). On n calibration samples with scores s₁…sₙ (see <see cref="ConformalScore"/>), q̂ is the k-th smallest score with the
/// finite-sample correction k = ⌈(n + 1)(1 − α)⌉, i.e. the ⌈(n + 1)(1 − α)⌉/n empirical quantile. If calibration and test samples are
/// exchangeable, a new target falls in its interval with probability at least 1 − α (and below 1 − α + 1/(n + 1) when scores have no
/// ties). This needs k ≤ n, i.e. n ≥ ⌈(1 − α)/α⌉ (<see cref="MinimumCalibrationCount"/>). α is read to 15 significant digits, so that
/// α = 0.1 with n = 9 gives k = 9 exactly.
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

    private readonly double[] quantiles;

    private SplitConformal(ConformalScore score, double alpha, int calibrationCount, bool multiOutput, double[] quantiles)
    {
        Score = score;
        Alpha = alpha;
        CalibrationCount = calibrationCount;
        IsMultiOutput = multiOutput;
        this.quantiles = quantiles;
    }

    /// <summary>Gets the non-conformity score the quantile was fitted on.</summary>
    public ConformalScore Score { get; }

    /// <summary>Gets the miscoverage level α: intervals cover at least 1 − α of new targets.</summary>
    public double Alpha { get; }

    /// <summary>Gets the number n of calibration samples the quantile was fitted on.</summary>
    public int CalibrationCount { get; }

    /// <summary>Gets a value indicating whether the calibration data were <c>(N, D)</c> (one quantile per dimension) rather than <c>(N)</c>.</summary>
    public bool IsMultiOutput { get; }

    /// <summary>Gets the fitted quantiles q̂, one per target dimension (one for <c>(N)</c> predictions).</summary>
    public IReadOnlyList<double> Quantiles => Array.AsReadOnly(quantiles);

    /// <summary>The smallest calibration set for which the corrected quantile exists at level α: ⌈(1 − α)/α⌉.</summary>
    /// <param name="alpha">The miscoverage level α, in the open interval (0, 1).</param>
    /// <returns>The minimum number of calibration samples.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1), or so small that the count exceeds <see cref="int.MaxValue"/>.</exception>
    public static int MinimumCalibrationCount(double alpha)
    {
        Preconditions.Alpha(alpha, nameof(alpha));
        var estimate = Math.Floor((1 - alpha) / alpha) - 2;
        if (!(estimate < int.MaxValue - 8))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha,
                string.Create(CultureInfo.InvariantCulture, $"alpha = {alpha} needs more than {int.MaxValue} calibration samples."));
        }

        var n = Math.Max(1, (int)estimate);
        while (Rank(n, alpha) > n)
        {
            n++;
        }

        return n;
    }

    /// <summary>Fits the absolute-residual quantile on calibration predictions.</summary>
    /// <param name="mean">The calibration predictions, <c>(N)</c> or <c>(N, D)</c>.</param>
    /// <param name="targets">The calibration targets, of the shape of <paramref name="mean"/>.</param>
    /// <param name="alpha">The miscoverage level α, in the open interval (0, 1) (0.1 for 90% intervals).</param>
    /// <returns>The fitted intervals.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// A tensor is empty, of rank other than 1 or 2, or holds NaN or infinite values; the shapes differ; or N is below
    /// <see cref="MinimumCalibrationCount"/>(α).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1).</exception>
    public static SplitConformal FitAbsolute(Tensor mean, Tensor targets, double alpha)
    {
        Preconditions.RegressionValues(mean, nameof(mean));
        Preconditions.SameShape(mean, nameof(mean), targets, nameof(targets));
        Preconditions.RegressionValues(targets, nameof(targets));
        Preconditions.Alpha(alpha, nameof(alpha));
        var k = CheckedRank(mean.shape[0], alpha);
        using var scope = torch.NewDisposeScope();
        var scores = targets.to(ScalarType.Float64).sub(mean.to(ScalarType.Float64)).abs_();
        return FromScores(ConformalScore.AbsoluteResidual, alpha, scores, k);
    }

    /// <summary>Fits the normalised-residual quantile, of |y − μ| / σ, on calibration predictions.</summary>
    /// <param name="mean">The calibration means, <c>(N)</c> or <c>(N, D)</c>.</param>
    /// <param name="variance">The calibration variances σ², of the shape of <paramref name="mean"/>, strictly positive.</param>
    /// <param name="targets">The calibration targets, of the shape of <paramref name="mean"/>.</param>
    /// <param name="alpha">The miscoverage level α, in the open interval (0, 1).</param>
    /// <returns>The fitted intervals.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// A tensor is empty, of rank other than 1 or 2, or holds NaN or infinite values; the shapes differ; a variance is ≤ 0; or N is
    /// below <see cref="MinimumCalibrationCount"/>(α).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1).</exception>
    public static SplitConformal FitNormalized(Tensor mean, Tensor variance, Tensor targets, double alpha)
    {
        Preconditions.Gaussian(mean, variance, targets);
        Preconditions.Alpha(alpha, nameof(alpha));
        var k = CheckedRank(mean.shape[0], alpha);
        using var scope = torch.NewDisposeScope();
        var scores = targets.to(ScalarType.Float64).sub(mean.to(ScalarType.Float64)).abs_().div_(variance.to(ScalarType.Float64).sqrt());
        return FromScores(ConformalScore.NormalizedResidual, alpha, scores, k);
    }

    /// <summary>Fits the absolute-residual quantile on single-target calibration predictions.</summary>
    /// <param name="mean">The calibration predictions.</param>
    /// <param name="targets">The calibration targets, one per prediction.</param>
    /// <param name="alpha">The miscoverage level α, in the open interval (0, 1).</param>
    /// <returns>The fitted intervals, for <c>(N)</c> predictions.</returns>
    /// <exception cref="ArgumentException">A span is empty or holds NaN or infinite values; the lengths differ; or there are fewer than <see cref="MinimumCalibrationCount"/>(α) samples.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1).</exception>
    public static SplitConformal FitAbsolute(ReadOnlySpan<double> mean, ReadOnlySpan<double> targets, double alpha)
    {
        Preconditions.RegressionValues(mean, nameof(mean));
        Preconditions.SameLength(mean, nameof(mean), targets, nameof(targets));
        Preconditions.Finite(targets, nameof(targets));
        Preconditions.Alpha(alpha, nameof(alpha));
        var k = CheckedRank(mean.Length, alpha);
        var scores = new double[mean.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = Math.Abs(targets[i] - mean[i]);
        }

        return new SplitConformal(ConformalScore.AbsoluteResidual, alpha, scores.Length, false, new[] { KthSmallest(scores, k) });
    }

    /// <summary>Fits the normalised-residual quantile, of |y − μ| / σ, on single-target calibration predictions.</summary>
    /// <param name="mean">The calibration means.</param>
    /// <param name="variance">The calibration variances σ², strictly positive, one per mean.</param>
    /// <param name="targets">The calibration targets, one per mean.</param>
    /// <param name="alpha">The miscoverage level α, in the open interval (0, 1).</param>
    /// <returns>The fitted intervals, for <c>(N)</c> predictions.</returns>
    /// <exception cref="ArgumentException">A span is empty or holds NaN or infinite values; the lengths differ; a variance is ≤ 0; or there are fewer than <see cref="MinimumCalibrationCount"/>(α) samples.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not in (0, 1).</exception>
    public static SplitConformal FitNormalized(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets, double alpha)
    {
        Preconditions.Gaussian(mean, variance, targets);
        Preconditions.Alpha(alpha, nameof(alpha));
        var k = CheckedRank(mean.Length, alpha);
        var scores = new double[mean.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = Math.Abs(targets[i] - mean[i]) / Math.Sqrt(variance[i]);
        }

        return new SplitConformal(ConformalScore.NormalizedResidual, alpha, scores.Length, false, new[] { KthSmallest(scores, k) });
    }

    /// <summary>Gives absolute-residual intervals μ ± q̂ for new predictions.</summary>
    /// <param name="mean">The predictions, <c>(N)</c> or <c>(N, D)</c> as at fitting. Not disposed.</param>
    /// <returns>New intervals in the predictions' dtype and device; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="mean"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, holds NaN or infinite values or has another shape than at fitting.</exception>
    /// <exception cref="InvalidOperationException">The quantile was fitted on normalised residuals: call <see cref="Predict(Tensor, Tensor)"/> with the variances.</exception>
    public PredictionInterval Predict(Tensor mean)
    {
        if (Score != ConformalScore.AbsoluteResidual)
        {
            throw new InvalidOperationException("This SplitConformal was fitted on normalised residuals; call Predict(mean, variance) with the predicted variances.");
        }

        CheckPredictionShape(mean, nameof(mean));
        using var scope = torch.NewDisposeScope();
        var half = QuantileTensor(mean);
        return Interval(mean, half);
    }

    /// <summary>Gives intervals for new Gaussian predictions: μ ± q̂·σ (normalised residuals) or μ ± q̂ (absolute residuals, variance unused).</summary>
    /// <param name="mean">The means, <c>(N)</c> or <c>(N, D)</c> as at fitting. Not disposed.</param>
    /// <param name="variance">The variances σ², of the shape of <paramref name="mean"/>, strictly positive. Not disposed.</param>
    /// <returns>New intervals in the means' dtype and device; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or holds NaN or infinite values, the shapes differ from each other or from fitting, or a variance is ≤ 0.</exception>
    public PredictionInterval Predict(Tensor mean, Tensor variance)
    {
        CheckPredictionShape(mean, nameof(mean));
        Preconditions.SameShape(mean, nameof(mean), variance, nameof(variance));
        Preconditions.RegressionValues(variance, nameof(variance));
        Preconditions.PositiveValues(variance, nameof(variance));
        using var scope = torch.NewDisposeScope();
        var half = QuantileTensor(mean);
        if (Score == ConformalScore.NormalizedResidual)
        {
            half = variance.to(mean.dtype).sqrt().mul_(half);
        }

        return Interval(mean, half);
    }

    /// <summary>Saves the fitted quantiles to a checksummed file, atomically (a failed save leaves an existing file unchanged).</summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Enum("score", Score);
            writer.Number("alpha", Alpha);
            writer.Number("calibrationCount", CalibrationCount);
            writer.Boolean("multiOutput", IsMultiOutput);
            writer.Numbers("quantiles", quantiles);
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
            var alpha = reader.Double("alpha");
            var count = reader.Int32("calibrationCount");
            var multi = reader.Boolean("multiOutput");
            var values = reader.Doubles("quantiles");
            Preconditions.Alpha(alpha, nameof(alpha));
            CheckedRank(count, alpha);
            if (values.Length == 0 || values.Any(q => q < 0) || (!multi && values.Length != 1))
            {
                throw reader.Invalid("quantiles must be ≥ 0, one per target dimension");
            }

            return new SplitConformal(score, alpha, count, multi, values);
        });
    }

    /// <inheritdoc />
    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture,
            $"SplitConformal({Score}, α = {Alpha}, n = {CalibrationCount}, q̂ = [{string.Join(", ", quantiles.Select(q => q.ToString("G6", CultureInfo.InvariantCulture)))}])");
    }

    /// <summary>The rank k = ⌈(n + 1)(1 − α)⌉, in decimal arithmetic so that α = 0.1, n = 9 gives 9 and not 10.</summary>
    internal static long Rank(long n, double alpha)
    {
        return (long)decimal.Ceiling((n + 1) * (1m - (decimal)alpha));
    }

    private static int CheckedRank(long n, double alpha)
    {
        var k = Rank(n, alpha);
        if (k > n)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"The calibration set has {n} samples; alpha = {alpha} needs at least {MinimumCalibrationCount(alpha)} (the ⌈(n + 1)(1 − α)⌉ = {k}-th smallest score must exist)."),
                "targets");
        }

        if (n > int.MaxValue)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The calibration set has {n} samples; at most {int.MaxValue} are supported."), "targets");
        }

        return (int)k;
    }

    private static SplitConformal FromScores(ConformalScore score, double alpha, Tensor scores, int k)
    {
        var n = (int)scores.shape[0];
        var multi = scores.dim() == 2;
        var columns = multi ? scores : scores.unsqueeze(1);
        var (values, _) = columns.kthvalue(k, 0);
        return new SplitConformal(score, alpha, n, multi, CalibrationInput.ToArray(values));
    }

    private static double KthSmallest(double[] scores, int k)
    {
        Array.Sort(scores);
        return scores[k - 1];
    }

    private void CheckPredictionShape(Tensor mean, string name)
    {
        Preconditions.RegressionValues(mean, name);
        var expectedRank = IsMultiOutput ? 2 : 1;
        if (mean.dim() != expectedRank || (IsMultiOutput && mean.shape[1] != quantiles.Length))
        {
            var expected = IsMultiOutput ? string.Create(CultureInfo.InvariantCulture, $"(N, {quantiles.Length})") : "(N)";
            throw new ArgumentException(
                $"{name} must have shape {expected} as the calibration data had; found {Preconditions.ShapeText(mean)}.", name);
        }
    }

    /// <summary>The quantiles as a tensor broadcasting over <paramref name="mean"/>: a scalar for <c>(N)</c>, a <c>(D)</c> row for <c>(N, D)</c>.</summary>
    private Tensor QuantileTensor(Tensor mean)
    {
        return IsMultiOutput
            ? torch.tensor(quantiles, dtype: ScalarType.Float64, device: mean.device).to(mean.dtype)
            : torch.tensor(quantiles[0], dtype: ScalarType.Float64, device: mean.device).to(mean.dtype);
    }

    private static PredictionInterval Interval(Tensor mean, Tensor half)
    {
        var lower = mean.sub(half).MoveToOuterDisposeScope();
        var upper = mean.add(half).MoveToOuterDisposeScope();
        return new PredictionInterval(lower, upper);
    }
}
