using System;
using System.Globalization;
using MathNet.Numerics.Distributions;
using TorchSharp;
using Uqlib.Calibration;
using static TorchSharp.torch;

namespace Uqlib.Regression;

/// <summary>Calibration metrics of Gaussian regression uncertainty: NLL, ENCE, interval coverage, miscalibration area, sharpness.</summary>
/// <remarks>
/// <para>
/// Every metric takes the predicted means, the predicted variances σ² (strictly positive) and the targets, as tensors of one shape
/// <c>(N)</c> or <c>(N, D)</c> (each of the N·D values counts as one prediction, as in Uncertainty Toolbox) or as spans of one length.
/// Inputs are checked for NaN, infinite and non-positive values at the boundary and never disposed; the computation runs on the CPU in
/// float64 (tensors are copied there once).
/// </para>
/// <para>Pure and thread-safe.</para>
/// </remarks>
public static class RegressionMetrics
{
    /// <summary>The number of ENCE bins used when none is given.</summary>
    public const int DefaultEnceBins = 10;

    /// <summary>The number of expected proportions used by <see cref="MiscalibrationArea(Tensor, Tensor, Tensor, int)"/> when none is given, as in Uncertainty Toolbox.</summary>
    public const int DefaultMiscalibrationBins = 100;

    private static readonly double HalfLogTwoPi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>The mean Gaussian negative log-likelihood, mean over values of ½ log(2πσ²) + (y − μ)² / (2σ²), in nats.</summary>
    /// <param name="mean">The predicted means, <c>(N)</c> or <c>(N, D)</c>.</param>
    /// <param name="variance">The predicted variances σ², of the shape of <paramref name="mean"/>, strictly positive.</param>
    /// <param name="targets">The observed targets, of the shape of <paramref name="mean"/>.</param>
    /// <returns>The mean NLL (lower is better; it can be negative).</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of rank other than 1 or 2, or holds NaN or infinite values; the shapes differ; or a variance is ≤ 0.</exception>
    public static double GaussianNll(Tensor mean, Tensor variance, Tensor targets)
    {
        Preconditions.Gaussian(mean, variance, targets);
        using var scope = torch.NewDisposeScope();
        var v = variance.to(ScalarType.Float64);
        var r = targets.to(ScalarType.Float64).sub(mean.to(ScalarType.Float64));
        return HalfLogTwoPi + 0.5 * r.mul_(r).div_(v).add_(v.log()).mean().ToDouble();
    }

    /// <summary>The mean Gaussian negative log-likelihood, mean over values of ½ log(2πσ²) + (y − μ)² / (2σ²), in nats.</summary>
    /// <param name="mean">The predicted means.</param>
    /// <param name="variance">The predicted variances σ², strictly positive, one per mean.</param>
    /// <param name="targets">The observed targets, one per mean.</param>
    /// <returns>The mean NLL (lower is better; it can be negative).</returns>
    /// <exception cref="ArgumentException">A span is empty or holds NaN or infinite values; the lengths differ; or a variance is ≤ 0.</exception>
    public static double GaussianNll(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets)
    {
        Preconditions.Gaussian(mean, variance, targets);
        return GaussianNllCore(mean, variance, targets);
    }

    /// <summary>The expected normalised calibration error (ENCE) over equal-count bins of predicted σ.</summary>
    /// <param name="mean">The predicted means, <c>(N)</c> or <c>(N, D)</c>.</param>
    /// <param name="variance">The predicted variances σ², of the shape of <paramref name="mean"/>, strictly positive.</param>
    /// <param name="targets">The observed targets, of the shape of <paramref name="mean"/>.</param>
    /// <param name="bins">The number of bins K, from 1 to the number of values.</param>
    /// <returns>ENCE ≥ 0 (0 when every bin's RMSE equals its RMV).</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of rank other than 1 or 2, or holds NaN or infinite values; the shapes differ; or a variance is ≤ 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is below 1 or above the number of values.</exception>
    /// <remarks>
    /// Levi, Gispan, Giladi &amp; Fetaya 2019, "Evaluating and calibrating uncertainty prediction in regression tasks": values are
    /// sorted by σ (ties by position) and split into K bins of equal count (the first N mod K bins hold one more, as
    /// <c>numpy.array_split</c>); ENCE = (1/K) Σₖ |RMVₖ − RMSEₖ| / RMVₖ, with RMVₖ = √(mean σ²) and RMSEₖ = √(mean (y − μ)²) in bin k.
    /// </remarks>
    public static double Ence(Tensor mean, Tensor variance, Tensor targets, int bins = DefaultEnceBins)
    {
        Preconditions.Gaussian(mean, variance, targets);
        CheckBins(bins, mean.numel());
        return EnceCore(Arr(mean), Arr(variance), Arr(targets), bins);
    }

    /// <summary>The expected normalised calibration error (ENCE) over equal-count bins of predicted σ.</summary>
    /// <param name="mean">The predicted means.</param>
    /// <param name="variance">The predicted variances σ², strictly positive, one per mean.</param>
    /// <param name="targets">The observed targets, one per mean.</param>
    /// <param name="bins">The number of bins K, from 1 to the number of values.</param>
    /// <returns>ENCE ≥ 0.</returns>
    /// <exception cref="ArgumentException">A span is empty or holds NaN or infinite values; the lengths differ; or a variance is ≤ 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is below 1 or above the number of values.</exception>
    /// <remarks>Levi et al. 2019; see <see cref="Ence(Tensor, Tensor, Tensor, int)"/>.</remarks>
    public static double Ence(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets, int bins = DefaultEnceBins)
    {
        Preconditions.Gaussian(mean, variance, targets);
        CheckBins(bins, mean.Length);
        return EnceCore(mean, variance, targets, bins);
    }

    /// <summary>The observed coverage of central Gaussian prediction intervals μ ± Φ⁻¹(½ + p/2)·σ at each level p.</summary>
    /// <param name="mean">The predicted means, <c>(N)</c> or <c>(N, D)</c>.</param>
    /// <param name="variance">The predicted variances σ², of the shape of <paramref name="mean"/>, strictly positive.</param>
    /// <param name="targets">The observed targets, of the shape of <paramref name="mean"/>.</param>
    /// <param name="levels">The nominal levels p, each in the open interval (0, 1) (e.g. 0.9 for a 90% interval).</param>
    /// <returns>For each level, the share of targets inside its interval (bounds included), in [0, 1].</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of rank other than 1 or 2, or holds NaN or infinite values; the shapes differ; a variance is ≤ 0; or <paramref name="levels"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A level is not in (0, 1).</exception>
    /// <remarks>As Uncertainty Toolbox's interval proportions (Chung et al. 2021): a value is covered when its normalised residual (μ − y)/σ lies in [Φ⁻¹(½ − p/2), Φ⁻¹(½ + p/2)].</remarks>
    public static double[] IntervalCoverage(Tensor mean, Tensor variance, Tensor targets, ReadOnlySpan<double> levels)
    {
        Preconditions.Gaussian(mean, variance, targets);
        CheckLevels(levels);
        return CoverageCore(SortedNormalisedResiduals(Arr(mean), Arr(variance), Arr(targets)), levels);
    }

    /// <summary>The observed coverage of central Gaussian prediction intervals μ ± Φ⁻¹(½ + p/2)·σ at each level p.</summary>
    /// <param name="mean">The predicted means.</param>
    /// <param name="variance">The predicted variances σ², strictly positive, one per mean.</param>
    /// <param name="targets">The observed targets, one per mean.</param>
    /// <param name="levels">The nominal levels p, each in the open interval (0, 1).</param>
    /// <returns>For each level, the share of targets inside its interval (bounds included), in [0, 1].</returns>
    /// <exception cref="ArgumentException">A span is empty or holds NaN or infinite values; the lengths differ; or a variance is ≤ 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A level is not in (0, 1).</exception>
    /// <remarks>As Uncertainty Toolbox's interval proportions (Chung et al. 2021).</remarks>
    public static double[] IntervalCoverage(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets, ReadOnlySpan<double> levels)
    {
        Preconditions.Gaussian(mean, variance, targets);
        CheckLevels(levels);
        return CoverageCore(SortedNormalisedResiduals(mean, variance, targets), levels);
    }

    /// <summary>The miscalibration area: the area between the observed-coverage curve of central intervals and the diagonal.</summary>
    /// <param name="mean">The predicted means, <c>(N)</c> or <c>(N, D)</c>.</param>
    /// <param name="variance">The predicted variances σ², of the shape of <paramref name="mean"/>, strictly positive.</param>
    /// <param name="targets">The observed targets, of the shape of <paramref name="mean"/>.</param>
    /// <param name="bins">The number of expected proportions, evenly spaced over [0, 1] ends included; from 2 to 100,000.</param>
    /// <returns>The area, in [0, ½] (0 for perfect calibration).</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of rank other than 1 or 2, or holds NaN or infinite values; the shapes differ; or a variance is ≤ 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [2, 100,000].</exception>
    /// <remarks>
    /// As Uncertainty Toolbox defines it (Chung et al. 2021, <c>miscalibration_area</c> with <c>prop_type="interval"</c>): expected
    /// proportions pᵢ = <c>linspace(0, 1, bins)</c>, observed proportions as in <see cref="IntervalCoverage(Tensor, Tensor, Tensor, ReadOnlySpan{double})"/>,
    /// and the area of the polygon between the observed curve (linear between the points) and the diagonal, computed here exactly as
    /// ∫₀¹ |obs(p) − p| dp segment by segment, including crossings of the diagonal inside a segment.
    /// </remarks>
    public static double MiscalibrationArea(Tensor mean, Tensor variance, Tensor targets, int bins = DefaultMiscalibrationBins)
    {
        Preconditions.Gaussian(mean, variance, targets);
        Preconditions.InRange(bins, nameof(bins), 2, Preconditions.MaxBins);
        return AreaCore(SortedNormalisedResiduals(Arr(mean), Arr(variance), Arr(targets)), bins);
    }

    /// <summary>The miscalibration area: the area between the observed-coverage curve of central intervals and the diagonal.</summary>
    /// <param name="mean">The predicted means.</param>
    /// <param name="variance">The predicted variances σ², strictly positive, one per mean.</param>
    /// <param name="targets">The observed targets, one per mean.</param>
    /// <param name="bins">The number of expected proportions, evenly spaced over [0, 1] ends included; from 2 to 100,000.</param>
    /// <returns>The area, in [0, ½].</returns>
    /// <exception cref="ArgumentException">A span is empty or holds NaN or infinite values; the lengths differ; or a variance is ≤ 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is outside [2, 100,000].</exception>
    /// <remarks>Uncertainty Toolbox's definition (Chung et al. 2021); see <see cref="MiscalibrationArea(Tensor, Tensor, Tensor, int)"/>.</remarks>
    public static double MiscalibrationArea(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets, int bins = DefaultMiscalibrationBins)
    {
        Preconditions.Gaussian(mean, variance, targets);
        Preconditions.InRange(bins, nameof(bins), 2, Preconditions.MaxBins);
        return AreaCore(SortedNormalisedResiduals(mean, variance, targets), bins);
    }

    /// <summary>The sharpness √(mean σ²): the root mean predicted variance, in the targets' unit (lower is sharper).</summary>
    /// <param name="variance">The predicted variances σ², <c>(N)</c> or <c>(N, D)</c>, strictly positive.</param>
    /// <returns>The sharpness, greater than 0.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="variance"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank other than 1 or 2, holds NaN or infinite values, or a variance is ≤ 0.</exception>
    /// <remarks>As Uncertainty Toolbox's <c>sharpness</c> (Chung et al. 2021; Gneiting et al. 2007 for sharpness as a goal).</remarks>
    public static double Sharpness(Tensor variance)
    {
        Preconditions.RegressionValues(variance, nameof(variance));
        Preconditions.PositiveValues(variance, nameof(variance));
        using var scope = torch.NewDisposeScope();
        return Math.Sqrt(variance.to(ScalarType.Float64).mean().ToDouble());
    }

    /// <summary>The sharpness √(mean σ²): the root mean predicted variance, in the targets' unit (lower is sharper).</summary>
    /// <param name="variance">The predicted variances σ², strictly positive.</param>
    /// <returns>The sharpness, greater than 0.</returns>
    /// <exception cref="ArgumentException">The span is empty, holds NaN or infinite values, or a variance is ≤ 0.</exception>
    /// <remarks>As Uncertainty Toolbox's <c>sharpness</c> (Chung et al. 2021).</remarks>
    public static double Sharpness(ReadOnlySpan<double> variance)
    {
        Preconditions.RegressionValues(variance, nameof(variance));
        Preconditions.PositiveValues(variance, nameof(variance));
        var sum = 0.0;
        for (var i = 0; i < variance.Length; i++)
        {
            sum += variance[i];
        }

        return Math.Sqrt(sum / variance.Length);
    }

    /// <summary>The standard normal quantile Φ⁻¹(p), with Φ⁻¹(0) = −∞ and Φ⁻¹(1) = +∞.</summary>
    internal static double NormalQuantile(double p)
    {
        return p <= 0 ? double.NegativeInfinity : p >= 1 ? double.PositiveInfinity : Normal.InvCDF(0, 1, p);
    }

    private static double[] Arr(Tensor value)
    {
        return CalibrationInput.ToArray(value);
    }

    private static void CheckBins(int bins, long count)
    {
        if (bins < 1 || bins > count)
        {
            throw new ArgumentOutOfRangeException(nameof(bins), bins,
                string.Create(CultureInfo.InvariantCulture, $"bins must be from 1 to the number of values ({count}); found {bins}."));
        }
    }

    private static void CheckLevels(ReadOnlySpan<double> levels)
    {
        if (levels.IsEmpty)
        {
            throw new ArgumentException("levels is empty: give at least one coverage level in (0, 1).", nameof(levels));
        }

        for (var i = 0; i < levels.Length; i++)
        {
            if (!(levels[i] > 0 && levels[i] < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(levels), levels[i],
                    string.Create(CultureInfo.InvariantCulture, $"levels must each be in the open interval (0, 1); found {levels[i]} at index {i}."));
            }
        }
    }

    private static double GaussianNllCore(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets)
    {
        var sum = 0.0;
        for (var i = 0; i < mean.Length; i++)
        {
            var r = targets[i] - mean[i];
            sum += 0.5 * Math.Log(variance[i]) + r * r / (2 * variance[i]);
        }

        return HalfLogTwoPi + sum / mean.Length;
    }

    private static double EnceCore(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets, int bins)
    {
        var n = mean.Length;
        var keys = variance.ToArray();
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        // Sort by variance, then put each run of equal variances back in position order: a stable order, as numpy.argsort(kind="stable").
        Array.Sort(keys, order);
        for (var run = 0; run < n;)
        {
            var end = run + 1;
            while (end < n && keys[end] == keys[run])
            {
                end++;
            }

            if (end - run > 1)
            {
                Array.Sort(order, run, end - run);
            }

            run = end;
        }
        var baseSize = n / bins;
        var larger = n % bins;
        var start = 0;
        var total = 0.0;
        for (var k = 0; k < bins; k++)
        {
            var size = baseSize + (k < larger ? 1 : 0);
            double sumVariance = 0, sumSquaredError = 0;
            for (var j = start; j < start + size; j++)
            {
                var i = order[j];
                var r = targets[i] - mean[i];
                sumVariance += variance[i];
                sumSquaredError += r * r;
            }

            var rmv = Math.Sqrt(sumVariance / size);
            var rmse = Math.Sqrt(sumSquaredError / size);
            total += Math.Abs(rmv - rmse) / rmv;
            start += size;
        }

        return total / bins;
    }

    private static double[] SortedNormalisedResiduals(ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets)
    {
        var residuals = new double[mean.Length];
        for (var i = 0; i < residuals.Length; i++)
        {
            residuals[i] = (mean[i] - targets[i]) / Math.Sqrt(variance[i]);
        }

        Array.Sort(residuals);
        return residuals;
    }

    private static double[] CoverageCore(double[] sortedResiduals, ReadOnlySpan<double> levels)
    {
        var result = new double[levels.Length];
        for (var i = 0; i < levels.Length; i++)
        {
            result[i] = ObservedProportion(sortedResiduals, levels[i]);
        }

        return result;
    }

    /// <summary>The share of sorted normalised residuals inside [Φ⁻¹(½ − p/2), Φ⁻¹(½ + p/2)], bounds included.</summary>
    private static double ObservedProportion(double[] sorted, double level)
    {
        var lower = NormalQuantile(0.5 - level / 2.0);
        var upper = NormalQuantile(0.5 + level / 2.0);
        return (double)(CountAtMost(sorted, upper) - CountBelow(sorted, lower)) / sorted.Length;
    }

    private static double AreaCore(double[] sortedResiduals, int bins)
    {
        // numpy.linspace(0, 1, bins): i·(1/(bins − 1)), the last point exactly 1.
        var step = 1.0 / (bins - 1);
        var previousP = 0.0;
        var previousGap = ObservedProportion(sortedResiduals, 0.0);
        var area = 0.0;
        for (var i = 1; i < bins; i++)
        {
            var p = i == bins - 1 ? 1.0 : i * step;
            var gap = ObservedProportion(sortedResiduals, p) - p;
            var width = p - previousP;
            var a = Math.Abs(previousGap);
            var b = Math.Abs(gap);
            area += previousGap * gap >= 0
                ? width * (a + b) / 2
                : width * (a * a + b * b) / (2 * (a + b));
            previousP = p;
            previousGap = gap;
        }

        return area;
    }

    /// <summary>The number of sorted values ≤ <paramref name="bound"/>.</summary>
    private static int CountAtMost(double[] sorted, double bound)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (sorted[middle] <= bound)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>The number of sorted values &lt; <paramref name="bound"/>.</summary>
    private static int CountBelow(double[] sorted, double bound)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (sorted[middle] < bound)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
