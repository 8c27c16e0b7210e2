using System;

namespace Uqlib.Evaluation;

/// <summary>The scores of the failures and of the successes, each sorted ascending once; every ROC metric is one merge walk over them.</summary>
/// <remarks>
/// Walking both arrays from their ends visits the distinct scores in descending order, each with its number of failures and
/// successes: exactly scikit-learn's <c>_binary_clf_curve</c>. Optional integer weights (bootstrap counts) multiply each case.
/// </remarks>
internal sealed class RankedCases
{
    private RankedCases(double[] failureScores, double[] successScores)
    {
        FailureScores = failureScores;
        SuccessScores = successScores;
    }

    /// <summary>Gets the scores of the failures, ascending.</summary>
    public double[] FailureScores { get; }

    /// <summary>Gets the scores of the successes, ascending.</summary>
    public double[] SuccessScores { get; }

    /// <summary>Splits validated cases by class and sorts each class.</summary>
    public static RankedCases Create(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures)
    {
        var failureCount = 0;
        foreach (var failure in failures)
        {
            failureCount += failure ? 1 : 0;
        }

        var failed = new double[failureCount];
        var succeeded = new double[scores.Length - failureCount];
        int f = 0, s = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (failures[i])
            {
                failed[f++] = scores[i];
            }
            else
            {
                succeeded[s++] = scores[i];
            }
        }

        RadixSort.Ascending(failed);
        RadixSort.Ascending(succeeded);
        return new RankedCases(failed, succeeded);
    }

    /// <summary>Splits validated cases by class and sorts each class, returning also the case index behind each sorted score (for per-cluster weights).</summary>
    public static (RankedCases Ranked, int[] FailureCases, int[] SuccessCases) CreateWithCases(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures)
    {
        var failureCount = 0;
        foreach (var failure in failures)
        {
            failureCount += failure ? 1 : 0;
        }

        var failed = new double[failureCount];
        var succeeded = new double[scores.Length - failureCount];
        var failureCases = new int[failureCount];
        var successCases = new int[succeeded.Length];
        int f = 0, s = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (failures[i])
            {
                failureCases[f] = i;
                failed[f++] = scores[i] + 0.0;
            }
            else
            {
                successCases[s] = i;
                succeeded[s++] = scores[i] + 0.0;
            }
        }

        Array.Sort(failed, failureCases);
        Array.Sort(succeeded, successCases);
        return (new RankedCases(failed, succeeded), failureCases, successCases);
    }

    /// <summary>
    /// The fraction of (weighted) cases flagged at the highest threshold whose sensitivity reaches <paramref name="target"/>, walking the
    /// distinct scores from the top as <see cref="Metrics"/> does; <paramref name="failureWeights"/> and <paramref name="successWeights"/> are
    /// empty or hold one count per sorted case.
    /// </summary>
    public double ReferralRate(ReadOnlySpan<int> failureWeights, ReadOnlySpan<int> successWeights, double target)
    {
        var weighted = !failureWeights.IsEmpty;
        var fa = FailureScores;
        var su = SuccessScores;
        double positives = weighted ? Sum(failureWeights) : fa.Length;
        double total = positives + (weighted ? Sum(successWeights) : su.Length);
        long tps = 0, fps = 0;
        int i = fa.Length - 1, j = su.Length - 1;
        while (i >= 0 || j >= 0)
        {
            var key = i < 0 ? su[j] : j < 0 ? fa[i] : Math.Max(fa[i], su[j]);
            while (i >= 0 && fa[i] == key)
            {
                tps += weighted ? failureWeights[i] : 1;
                i--;
            }

            while (j >= 0 && su[j] == key)
            {
                fps += weighted ? successWeights[j] : 1;
                j--;
            }

            if (tps / positives >= target)
            {
                break;
            }
        }

        return (tps + fps) / total;
    }

    /// <summary>Computes the scalar metrics in one walk; <paramref name="failureWeights"/> and <paramref name="successWeights"/> are empty or hold one count per sorted case.</summary>
    public RankMetrics Metrics(ReadOnlySpan<int> failureWeights, ReadOnlySpan<int> successWeights)
    {
        var weighted = !failureWeights.IsEmpty;
        var fa = FailureScores;
        var su = SuccessScores;
        long positives = weighted ? Sum(failureWeights) : fa.Length;
        long negatives = weighted ? Sum(successWeights) : su.Length;
        double total = positives + negatives;
        double p = positives, n = negatives;

        long tps = 0, fps = 0, twiceArea = 0;
        double precisionSum = 0, fprAt95 = double.NaN;
        var reached = false;
        var risk = positives / total;
        double aurc = 0, augrc = 0;
        int i = fa.Length - 1, j = su.Length - 1;
        while (i >= 0 || j >= 0)
        {
            var key = i < 0 ? su[j] : j < 0 ? fa[i] : Math.Max(fa[i], su[j]);
            long tpGroup = 0, fpGroup = 0;
            while (i >= 0 && fa[i] == key)
            {
                tpGroup += weighted ? failureWeights[i] : 1;
                i--;
            }

            while (j >= 0 && su[j] == key)
            {
                fpGroup += weighted ? successWeights[j] : 1;
                j--;
            }

            if (tpGroup + fpGroup == 0)
            {
                continue;
            }

            twiceArea += fpGroup * ((2 * tps) + tpGroup);
            var keptBefore = total - tps - fps;
            tps += tpGroup;
            fps += fpGroup;
            precisionSum += tpGroup * (tps / (double)(tps + fps));
            if (!reached && tps / p >= 0.95)
            {
                fprAt95 = fps / n;
                reached = true;
            }

            var kept = total - tps - fps;
            var nextRisk = kept > 0 ? (positives - tps) / kept : risk;
            aurc += (keptBefore - kept) / total * (risk + nextRisk) / 2;
            risk = nextRisk;

            // Generalized risk (Traub et al. 2024): failures among the kept / all cases, 0 once nothing is kept.
            augrc += (keptBefore - kept) / total * ((positives - tps + tpGroup) + (positives - tps)) / (2 * total);
        }

        var rate = p / total;
        return new RankMetrics(
            twiceArea / (2.0 * p * n),
            precisionSum / p,
            fprAt95,
            aurc,
            aurc - OptimalAurc(rate),
            augrc);
    }

    /// <summary>
    /// For each failure (in ascending order), the number of successes scoring below it and at or below it: one merge walk, after which the
    /// AUROC of any integer weighting of the cases (a bootstrap resample) is a prefix sum over the successes (<see cref="WeightedAuroc"/>).
    /// </summary>
    public (int[] Below, int[] AtOrBelow) SuccessRanks()
    {
        var fa = FailureScores;
        var su = SuccessScores;
        var below = new int[fa.Length];
        var atOrBelow = new int[fa.Length];
        int lo = 0, hi = 0;
        for (var i = 0; i < fa.Length; i++)
        {
            var score = fa[i];
            while (lo < su.Length && su[lo] < score)
            {
                lo++;
            }

            hi = Math.Max(hi, lo);
            while (hi < su.Length && su[hi] <= score)
            {
                hi++;
            }

            below[i] = lo;
            atOrBelow[i] = hi;
        }

        return (below, atOrBelow);
    }

    /// <summary>
    /// The AUROC of the cases weighted by <paramref name="failureWeights"/> and <paramref name="successWeights"/> (one count per sorted case),
    /// from <see cref="SuccessRanks"/>: Σ over failures of w × (weighted successes below + half the weighted ties), over (Σw_f)(Σw_s). The pair
    /// count is the same integer as <see cref="Metrics"/>'s, so the value is identical. <paramref name="prefix"/> holds one more element than the
    /// successes and is overwritten.
    /// </summary>
    public static double WeightedAuroc(int[] below, int[] atOrBelow, ReadOnlySpan<int> failureWeights, ReadOnlySpan<int> successWeights, long[] prefix)
    {
        long running = 0;
        prefix[0] = 0;
        for (var j = 0; j < successWeights.Length; j++)
        {
            running += successWeights[j];
            prefix[j + 1] = running;
        }

        long twiceArea = 0, positives = 0;
        for (var i = 0; i < failureWeights.Length; i++)
        {
            long w = failureWeights[i];
            positives += w;
            twiceArea += w * (prefix[below[i]] + prefix[atOrBelow[i]]);
        }

        return twiceArea / (2.0 * positives * running);
    }

    /// <summary>
    /// DeLong's variance of the AUROC from one walk: every failure in a group of equal scores has the same placement (successes below +
    /// half the tied successes) / N, every success (failures above + half the tied failures) / P, so the sums of squares go by group.
    /// </summary>
    public double DeLongVariance(double auroc)
    {
        var fa = FailureScores;
        var su = SuccessScores;
        double p = fa.Length, n = su.Length;
        long tps = 0, fps = 0;
        double failureSquares = 0, successSquares = 0;
        int i = fa.Length - 1, j = su.Length - 1;
        while (i >= 0 || j >= 0)
        {
            var key = i < 0 ? su[j] : j < 0 ? fa[i] : Math.Max(fa[i], su[j]);
            long tpGroup = 0, fpGroup = 0;
            while (i >= 0 && fa[i] == key)
            {
                tpGroup++;
                i--;
            }

            while (j >= 0 && su[j] == key)
            {
                fpGroup++;
                j--;
            }

            var failurePlacement = (n - fps - fpGroup + (0.5 * fpGroup)) / n;
            var successPlacement = (tps + (0.5 * tpGroup)) / p;
            failureSquares += tpGroup * (failurePlacement - auroc) * (failurePlacement - auroc);
            successSquares += fpGroup * (successPlacement - auroc) * (successPlacement - auroc);
            tps += tpGroup;
            fps += fpGroup;
        }

        var failureVariance = p > 1 ? failureSquares / (p - 1) : 0;
        var successVariance = n > 1 ? successSquares / (n - 1) : 0;
        return (failureVariance / p) + (successVariance / n);
    }

    /// <summary>A cursor over scikit-learn's binary classification curve (<c>_binary_clf_curve</c>): the distinct scores descending, each with the cumulative failure and success counts at or above it, without materialising the curve.</summary>
    public Cursor Walk() => new(this);

    /// <summary>Walks the distinct scores of a <see cref="RankedCases"/> from the highest.</summary>
    public struct Cursor
    {
        private readonly double[] failureScores;
        private readonly double[] successScores;
        private int i;
        private int j;

        public Cursor(RankedCases ranked)
        {
            failureScores = ranked.FailureScores;
            successScores = ranked.SuccessScores;
            i = failureScores.Length - 1;
            j = successScores.Length - 1;
            Threshold = double.NaN;
            Tps = 0;
            Fps = 0;
        }

        /// <summary>Gets the current distinct score.</summary>
        public double Threshold { get; private set; }

        /// <summary>Gets the failures scoring at or above <see cref="Threshold"/>.</summary>
        public long Tps { get; private set; }

        /// <summary>Gets the successes scoring at or above <see cref="Threshold"/>.</summary>
        public long Fps { get; private set; }

        /// <summary>Moves to the next lower distinct score; <see langword="false"/> after the lowest.</summary>
        public bool MoveNext()
        {
            var fa = failureScores;
            var su = successScores;
            if (i < 0 && j < 0)
            {
                return false;
            }

            var key = i < 0 ? su[j] : j < 0 ? fa[i] : Math.Max(fa[i], su[j]);
            long tps = Tps, fps = Fps;
            while (i >= 0 && fa[i] == key)
            {
                tps++;
                i--;
            }

            while (j >= 0 && su[j] == key)
            {
                fps++;
                j--;
            }

            Threshold = key;
            Tps = tps;
            Fps = fps;
            return true;
        }
    }

    /// <summary>Counts the failures and the successes with a score at or above <paramref name="threshold"/>.</summary>
    public (long Failures, long Successes) CountAtOrAbove(double threshold)
    {
        return (FailureScores.Length - LowerBound(FailureScores, threshold), SuccessScores.Length - LowerBound(SuccessScores, threshold));
    }

    /// <summary>The AURC of an ideal score at failure rate r: r + (1 − r) ln(1 − r) (Geifman et al. 2019).</summary>
    public static double OptimalAurc(double rate)
    {
        return rate >= 1 ? 1 : rate + ((1 - rate) * Math.Log(1 - rate));
    }

    private static int LowerBound(double[] sorted, double value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (sorted[mid] < value)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private static long Sum(ReadOnlySpan<int> weights)
    {
        long sum = 0;
        foreach (var w in weights)
        {
            sum += w;
        }

        return sum;
    }
}
