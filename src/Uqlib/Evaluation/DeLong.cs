using System;
using System.Globalization;
using MathNet.Numerics.Distributions;
using static TorchSharp.torch;

namespace Uqlib.Evaluation;

/// <summary>DeLong's nonparametric variance of the AUROC, its confidence interval and the paired test of two correlated AUROCs.</summary>
/// <remarks>
/// DeLong, DeLong &amp; Clarke-Pearson 1988, "Comparing the areas under two or more correlated receiver operating characteristic curves";
/// placements computed by sorting (Sun &amp; Xu 2014), O(N log N). Results equal R pROC 1.18's <c>var</c>, <c>ci.auc</c> and
/// <c>roc.test(paired = TRUE)</c> with <c>method = "delong"</c>, <c>direction = "&lt;"</c>, failures as cases. Thread-safe.
/// </remarks>
public static class DeLong
{
    /// <summary>Computes DeLong's variance of the AUROC.</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <returns>The variance estimate of the AUROC; 0 when the scores separate failures from successes perfectly or tie every case.</returns>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths, hold NaN or ±∞, or hold fewer than 2 failures or fewer than 2 successes (the variance needs the sample variance of each class's placements).</exception>
    public static double Variance(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures)
    {
        CaseData.Check(scores, nameof(scores), failures, nameof(failures));
        var ranked = RankedCases.Create(scores, failures);
        if (Undefined(ranked) is { } why)
        {
            throw new ArgumentException($"DeLong's variance is undefined: {why}.", nameof(failures));
        }

        return ranked.DeLongVariance(ranked.Metrics(default, default).Auroc);
    }

    /// <summary>Computes DeLong's confidence interval of the AUROC: the normal quantiles around it, clipped to [0, 1].</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="level">The confidence level, in (0, 1).</param>
    /// <returns>The interval, of positive width.</returns>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths, hold NaN or ±∞, hold fewer than 2 failures or fewer than 2 successes, or the
    /// DeLong variance is 0 (the scores separate the classes perfectly, or tie every case), where the normal interval would have zero width.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not in (0, 1).</exception>
    public static ConfidenceInterval AurocCi(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures, double level = 0.95)
    {
        CheckLevel(level);
        CaseData.Check(scores, nameof(scores), failures, nameof(failures));
        var ranked = RankedCases.Create(scores, failures);
        if (Undefined(ranked) is { } few)
        {
            throw new ArgumentException($"DeLong's interval of the AUROC is undefined: {few}.", nameof(failures));
        }

        var auc = ranked.Metrics(default, default).Auroc;
        return AurocCiCore(ranked, auc, level)
            ?? throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"DeLong's interval of the AUROC {auc} is undefined: the variance is 0 (scores separate failures from successes perfectly, or tie every case), so the interval would have zero width."),
                nameof(scores));
    }

    /// <summary>Computes DeLong's confidence interval of the AUROC from tensors.</summary>
    /// <param name="scores">Scores <c>(N)</c>, floating point, finite.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1.</param>
    /// <param name="level">The confidence level, in (0, 1).</param>
    /// <returns>The interval.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensors are empty, not of rank 1, of different lengths, hold NaN or ±∞ or non-binary labels, hold fewer than 2 failures or
    /// 2 successes, or the DeLong variance is 0 (see <see cref="AurocCi(ReadOnlySpan{double}, ReadOnlySpan{bool}, double)"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not in (0, 1).</exception>
    public static ConfidenceInterval AurocCi(Tensor scores, Tensor failures, double level = 0.95)
    {
        return AurocCi(CaseData.Scores(scores, nameof(scores)), CaseData.Failures(failures, nameof(failures)), level);
    }

    /// <summary>Tests whether two scores evaluated on the same cases have equal AUROCs (DeLong's paired test, two-sided).</summary>
    /// <param name="scoresA">The first method's scores, one per case.</param>
    /// <param name="scoresB">The second method's scores, one per case, in the same case order.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="level">The confidence level of the difference's interval, in (0, 1).</param>
    /// <returns>Both AUROCs, Z, the p-value and the interval of the difference.</returns>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths, hold NaN or ±∞, hold fewer than 2 failures or fewer than 2 successes, or the
    /// difference has zero DeLong variance (the two scores place every case alike, e.g. identical rankings or both perfect), where Z and the interval are undefined.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not in (0, 1).</exception>
    public static DeLongTestResult PairedTest(ReadOnlySpan<double> scoresA, ReadOnlySpan<double> scoresB, ReadOnlySpan<bool> failures, double level = 0.95)
    {
        CheckLevel(level);
        CaseData.Check(scoresA, nameof(scoresA), failures, nameof(failures));
        CaseData.Check(scoresB, nameof(scoresB), failures, nameof(failures));
        var (result, why) = PairedTestCore(scoresA, scoresB, failures, level);
        return result ?? throw new ArgumentException($"DeLong's paired test is undefined: {why}.", why!.StartsWith("failures", StringComparison.Ordinal) ? nameof(failures) : nameof(scoresB));
    }

    /// <summary>DeLong's paired test of validated cases, or the reason it is undefined.</summary>
    internal static (DeLongTestResult? Result, string? Undefined) PairedTestCore(ReadOnlySpan<double> scoresA, ReadOnlySpan<double> scoresB, ReadOnlySpan<bool> failures, double level)
    {
        var (aucA, xa, ya) = Placements(scoresA, failures);
        var (aucB, xb, yb) = Placements(scoresB, failures);
        int m = xa.Length, n = ya.Length;
        if (Undefined(m, n) is { } few)
        {
            return (null, few);
        }

        var varA = (SampleCovariance(xa, xa, aucA, aucA) / m) + (SampleCovariance(ya, ya, aucA, aucA) / n);
        var varB = (SampleCovariance(xb, xb, aucB, aucB) / m) + (SampleCovariance(yb, yb, aucB, aucB) / n);
        var cov = (SampleCovariance(xa, xb, aucA, aucB) / m) + (SampleCovariance(ya, yb, aucA, aucB) / n);
        var sd = Math.Sqrt(Math.Max(0, varA + varB - (2 * cov)));
        var difference = aucA - aucB;
        if (!(sd > 0))
        {
            return (null, string.Create(CultureInfo.InvariantCulture,
                $"the AUROC difference {difference} has zero DeLong variance (the two scores place every case alike, e.g. identical rankings or both perfect), so Z and its interval are undefined"));
        }

        var z = difference / sd;
        var p = 2 * Normal.CDF(0, 1, -Math.Abs(z));
        var q = Normal.InvCDF(0, 1, 1 - ((1 - level) / 2));
        return (new DeLongTestResult(aucA, aucB, z, p, new ConfidenceInterval(difference - (q * sd), difference + (q * sd), level)), null);
    }

    /// <summary>Tests whether two scores evaluated on the same cases have equal AUROCs, from tensors.</summary>
    /// <param name="scoresA">The first method's scores <c>(N)</c>.</param>
    /// <param name="scoresB">The second method's scores <c>(N)</c>, same case order.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1.</param>
    /// <param name="level">The confidence level of the difference's interval, in (0, 1).</param>
    /// <returns>Both AUROCs, Z, the p-value and the interval of the difference.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensors are empty, not of rank 1, of different lengths, hold NaN or ±∞ or non-binary labels, hold fewer than 2 failures or
    /// 2 successes, or the difference has zero DeLong variance.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not in (0, 1).</exception>
    public static DeLongTestResult PairedTest(Tensor scoresA, Tensor scoresB, Tensor failures, double level = 0.95)
    {
        return PairedTest(CaseData.Scores(scoresA, nameof(scoresA)), CaseData.Scores(scoresB, nameof(scoresB)), CaseData.Failures(failures, nameof(failures)), level);
    }

    /// <summary>The DeLong interval of already validated cases, or <see langword="null"/> where it is undefined (fewer than 2 cases of a class, or zero variance).</summary>
    internal static ConfidenceInterval? AurocCiCore(RankedCases ranked, double auc, double level)
    {
        if (Undefined(ranked) is not null)
        {
            return null;
        }

        var sd = Math.Sqrt(ranked.DeLongVariance(auc));
        if (!(sd > 0))
        {
            return null;
        }

        var q = Normal.InvCDF(0, 1, 1 - ((1 - level) / 2));
        return new ConfidenceInterval(Math.Clamp(auc - (q * sd), 0, 1), Math.Clamp(auc + (q * sd), 0, 1), level);
    }

    /// <summary>
    /// The structural components: for each failure, the fraction of successes scored below it (ties one half); for each success, the
    /// fraction of failures scored above it; both in case order. Their means equal the AUROC.
    /// </summary>
    internal static (double Auc, double[] FailurePlacements, double[] SuccessPlacements) Placements(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures)
    {
        var n = scores.Length;
        var keys = new double[n];
        var order = new int[n];
        var positives = 0;
        for (var i = 0; i < n; i++)
        {
            keys[i] = scores[i] + 0.0;
            order[i] = i;
            positives += failures[i] ? 1 : 0;
        }

        Array.Sort(keys, order);
        var negatives = n - positives;
        var placement = new double[n];
        long failuresBelow = 0, successesBelow = 0;
        var start = 0;
        while (start < n)
        {
            var end = start;
            long groupFailures = 0, groupSuccesses = 0;
            while (end < n && keys[end] == keys[start])
            {
                if (failures[order[end]])
                {
                    groupFailures++;
                }
                else
                {
                    groupSuccesses++;
                }

                end++;
            }

            var failureValue = (successesBelow + (0.5 * groupSuccesses)) / negatives;
            var successValue = (positives - failuresBelow - groupFailures + (0.5 * groupFailures)) / positives;
            for (var k = start; k < end; k++)
            {
                placement[order[k]] = failures[order[k]] ? failureValue : successValue;
            }

            failuresBelow += groupFailures;
            successesBelow += groupSuccesses;
            start = end;
        }

        var x = new double[positives];
        var y = new double[negatives];
        int f = 0, s = 0;
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            if (failures[i])
            {
                x[f++] = placement[i];
                sum += placement[i];
            }
            else
            {
                y[s++] = placement[i];
            }
        }

        return (sum / positives, x, y);
    }

    /// <summary>Why DeLong's variance is undefined for these class counts (it needs the sample variance of each class's placements), or <see langword="null"/>.</summary>
    internal static string? Undefined(RankedCases ranked) => Undefined(ranked.FailureScores.Length, ranked.SuccessScores.Length);

    private static string? Undefined(int failures, int successes)
    {
        return failures < 2 || successes < 2
            ? string.Create(CultureInfo.InvariantCulture,
                $"failures holds {failures} failure{(failures == 1 ? string.Empty : "s")} and {successes} success{(successes == 1 ? string.Empty : "es")}; DeLong's variance needs at least 2 of each (the sample variance of one placement is undefined)")
            : null;
    }

    private static double SampleCovariance(double[] a, double[] b, double meanA, double meanB)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (a[i] - meanA) * (b[i] - meanB);
        }

        return sum / (a.Length - 1);
    }

    private static void CheckLevel(double level)
    {
        if (!(level > 0 && level < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(level), level,
                string.Create(CultureInfo.InvariantCulture, $"level must be in (0, 1); found {level}."));
        }
    }
}
