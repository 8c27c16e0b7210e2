using System;
using System.Globalization;
using MathNet.Numerics.Distributions;
using static TorchSharp.torch;

namespace Uqlib.Evaluation;

/// <summary>The AUROC of clustered cases (several slices per patient, lesions per volume): its variance, confidence interval and the paired test of two correlated AUROCs, with the cluster as the unit.</summary>
/// <remarks>
/// <para>Obuchowski 1997, "Nonparametric analysis of clustered ROC curve data", Biometrics 53:567–578. With ψ(X, Y) = 1, ½, 0 as the
/// failure X scores above, equal to or below the success Y, the structural components V10(X_ij) = (1/N) Σ ψ(X_ij, Y) and
/// V01(Y_ik) = (1/M) Σ ψ(X, Y_ik) are summed per cluster i (m_i failures, n_i successes, M and N in all; I clusters, I10 of them holding
/// a failure and I01 a success):
/// S10 = I10 / ((I10 − 1) M) Σ_i (V10(X_i·) − m_i θ)², S01 = I01 / ((I01 − 1) N) Σ_i (V01(Y_i·) − n_i θ)²,
/// S11 = I / (I − 1) Σ_i (V10(X_i·) − m_i θ)(V01(Y_i·) − n_i θ), and var θ = S10/M + S01/N + 2 S11/(M N). The covariance of two scores
/// takes the cross products (S11 in both orders). With every cluster of size 1 this is DeLong's variance (<see cref="DeLong"/>).</para>
/// <para>Placements are computed by sorting, O(N log N) for N cases. Thread-safe.</para>
/// </remarks>
public static class ClusteredAuroc
{
    /// <summary>Computes the AUROC with Obuchowski's variance and confidence interval.</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="clusters">The cluster of each case; at least two clusters must hold a failure and two a success.</param>
    /// <param name="level">The confidence level, in (0, 1).</param>
    /// <returns>The AUROC, its variance, the interval and the cluster summary.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths (<paramref name="clusters"/> included), hold NaN or ±∞, have one class only, fewer than two clusters hold a failure or a success (the variance is undefined), or the variance estimate is negative.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not in (0, 1).</exception>
    public static ClusteredAurocResult Estimate(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures, ClusterIds clusters, double level = 0.95)
    {
        DeLong.CheckLevel(level);
        CaseData.Check(scores, nameof(scores), failures, nameof(failures));
        var design = Design.Of(failures, clusters, nameof(clusters), nameof(failures));
        var components = Components(scores, failures, clusters, design);
        var variance = Variance(design, components, nameof(clusters));
        return new ClusteredAurocResult(components.Auc, variance, Interval(components.Auc, variance, level), clusters.Summary(failures));
    }

    /// <summary>Computes the AUROC with Obuchowski's variance and confidence interval, from tensors.</summary>
    /// <param name="scores">Scores <c>(N)</c>, floating point, finite.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1.</param>
    /// <param name="clusters">The cluster of each case.</param>
    /// <param name="level">The confidence level, in (0, 1).</param>
    /// <returns>The AUROC, its variance, the interval and the cluster summary.</returns>
    /// <exception cref="ArgumentNullException">A tensor or <paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensors are invalid (see <see cref="RocEvaluator.Evaluate(Tensor, Tensor, RocOptions?)"/>) or the clusters are (see <see cref="Estimate(ReadOnlySpan{double}, ReadOnlySpan{bool}, ClusterIds, double)"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not in (0, 1).</exception>
    public static ClusteredAurocResult Estimate(Tensor scores, Tensor failures, ClusterIds clusters, double level = 0.95)
    {
        return Estimate(CaseData.Scores(scores, nameof(scores)), CaseData.Failures(failures, nameof(failures)), clusters, level);
    }

    /// <summary>Tests whether two scores evaluated on the same clustered cases have equal AUROCs (Obuchowski's paired test, two-sided).</summary>
    /// <param name="scoresA">The first method's scores, one per case.</param>
    /// <param name="scoresB">The second method's scores, one per case, in the same case order.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="clusters">The cluster of each case; at least two clusters must hold a failure and two a success.</param>
    /// <param name="level">The confidence level of the difference's interval, in (0, 1).</param>
    /// <returns>Both AUROCs, the variance of their difference, Z, the p-value and the interval of the difference.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The inputs are invalid (see <see cref="Estimate(ReadOnlySpan{double}, ReadOnlySpan{bool}, ClusterIds, double)"/>), or the difference has no positive variance while the AUROCs differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not in (0, 1).</exception>
    public static ClusteredAurocTestResult PairedTest(
        ReadOnlySpan<double> scoresA, ReadOnlySpan<double> scoresB, ReadOnlySpan<bool> failures, ClusterIds clusters, double level = 0.95)
    {
        DeLong.CheckLevel(level);
        CaseData.Check(scoresA, nameof(scoresA), failures, nameof(failures));
        CaseData.Check(scoresB, nameof(scoresB), failures, nameof(failures));
        var design = Design.Of(failures, clusters, nameof(clusters), nameof(failures));
        return PairedTestCore(design, Components(scoresA, failures, clusters, design), Components(scoresB, failures, clusters, design), level);
    }

    /// <summary>Tests whether two scores evaluated on the same clustered cases have equal AUROCs, from tensors.</summary>
    /// <param name="scoresA">The first method's scores <c>(N)</c>.</param>
    /// <param name="scoresB">The second method's scores <c>(N)</c>, same case order.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1.</param>
    /// <param name="clusters">The cluster of each case.</param>
    /// <param name="level">The confidence level of the difference's interval, in (0, 1).</param>
    /// <returns>Both AUROCs, the variance of their difference, Z, the p-value and the interval of the difference.</returns>
    /// <exception cref="ArgumentNullException">A tensor or <paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The inputs are invalid (see <see cref="PairedTest(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{bool}, ClusterIds, double)"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not in (0, 1).</exception>
    public static ClusteredAurocTestResult PairedTest(Tensor scoresA, Tensor scoresB, Tensor failures, ClusterIds clusters, double level = 0.95)
    {
        return PairedTest(
            CaseData.Scores(scoresA, nameof(scoresA)), CaseData.Scores(scoresB, nameof(scoresB)), CaseData.Failures(failures, nameof(failures)), clusters, level);
    }

    /// <summary>The components of validated cases whose design was checked.</summary>
    internal static ClusterComponents Components(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures, ClusterIds clusters, Design design)
    {
        var (auc, failurePlacements, successPlacements) = DeLong.Placements(scores, failures);
        var x = new double[clusters.Count];
        var y = new double[clusters.Count];
        var index = clusters.Indices;
        int f = 0, s = 0;
        for (var i = 0; i < failures.Length; i++)
        {
            if (failures[i])
            {
                x[index[i]] += failurePlacements[f++];
            }
            else
            {
                y[index[i]] += successPlacements[s++];
            }
        }

        for (var c = 0; c < x.Length; c++)
        {
            x[c] -= design.FailuresPerCluster[c] * auc;
            y[c] -= design.SuccessesPerCluster[c] * auc;
        }

        return new ClusterComponents(auc, x, y);
    }

    /// <summary>Obuchowski's covariance of two AUROCs from their components (the variance when both are the same).</summary>
    internal static double Covariance(Design design, ClusterComponents a, ClusterComponents b)
    {
        double xx = 0, yy = 0, xy = 0, yx = 0;
        for (var c = 0; c < a.X.Length; c++)
        {
            xx += a.X[c] * b.X[c];
            yy += a.Y[c] * b.Y[c];
            xy += a.X[c] * b.Y[c];
            yx += b.X[c] * a.Y[c];
        }

        double m = design.Failures, n = design.Successes, i = design.Clusters, i10 = design.ClustersWithFailures, i01 = design.ClustersWithSuccesses;
        var s10 = i10 / ((i10 - 1) * m) * xx;
        var s01 = i01 / ((i01 - 1) * n) * yy;
        var s11 = i / (i - 1) * (xy + yx);
        return (s10 / m) + (s01 / n) + (s11 / (m * n));
    }

    /// <summary>Obuchowski's variance of one AUROC, refused when the estimate is negative (possible with few, unbalanced clusters).</summary>
    internal static double Variance(Design design, ClusterComponents components, string clustersName)
    {
        var variance = Covariance(design, components, components);
        if (variance < 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{clustersName}: Obuchowski's variance estimate is negative ({variance}); the clusters are too few or too unbalanced for it."),
                clustersName);
        }

        return variance;
    }

    /// <summary>The clustered variance of the difference of two AUROCs from validated components; the paired test needs it positive.</summary>
    internal static double DifferenceVariance(Design design, ClusterComponents a, ClusterComponents b) =>
        Covariance(design, a, a) + Covariance(design, b, b) - (2 * Covariance(design, a, b));

    /// <summary>The paired test from validated components.</summary>
    internal static ClusteredAurocTestResult PairedTestCore(Design design, ClusterComponents a, ClusterComponents b, double level)
    {
        var variance = DifferenceVariance(design, a, b);
        var difference = a.Auc - b.Auc;
        if (!(variance > 0))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"scoresB: the AUROC difference {difference} has no positive clustered variance ({variance}), so the test is undefined (as DeLong's is)."),
                "scoresB");
        }

        var sd = Math.Sqrt(variance);
        var z = difference / sd;
        var q = Normal.InvCDF(0, 1, 1 - ((1 - level) / 2));
        return new ClusteredAurocTestResult(
            a.Auc, b.Auc, variance, z, 2 * Normal.CDF(0, 1, -Math.Abs(z)), new ConfidenceInterval(difference - (q * sd), difference + (q * sd), level));
    }

    /// <summary>The normal interval clipped to [0, 1].</summary>
    internal static ConfidenceInterval? Interval(double auc, double variance, double level)
    {
        if (!(variance > 0))
        {
            return null;
        }

        var sd = Math.Sqrt(variance);
        var q = Normal.InvCDF(0, 1, 1 - ((1 - level) / 2));
        return new ConfidenceInterval(Math.Clamp(auc - (q * sd), 0, 1), Math.Clamp(auc + (q * sd), 0, 1), level);
    }

    /// <summary>Per-cluster sums of the structural components minus their expectation: V10(X_i·) − m_i θ and V01(Y_i·) − n_i θ.</summary>
    internal sealed record ClusterComponents(double Auc, double[] X, double[] Y);

    /// <summary>The counts of a checked clustered design.</summary>
    internal sealed class Design
    {
        private Design(int[] failuresPerCluster, int[] successesPerCluster)
        {
            FailuresPerCluster = failuresPerCluster;
            SuccessesPerCluster = successesPerCluster;
            foreach (var f in failuresPerCluster)
            {
                Failures += f;
                ClustersWithFailures += f > 0 ? 1 : 0;
            }

            foreach (var s in successesPerCluster)
            {
                Successes += s;
                ClustersWithSuccesses += s > 0 ? 1 : 0;
            }
        }

        public int[] FailuresPerCluster { get; }

        public int[] SuccessesPerCluster { get; }

        public int Clusters => FailuresPerCluster.Length;

        public long Failures { get; }

        public long Successes { get; }

        public int ClustersWithFailures { get; }

        public int ClustersWithSuccesses { get; }

        /// <summary>Checks the ids against validated failure labels: one per case, two clusters or more, two holding each class.</summary>
        public static Design Of(ReadOnlySpan<bool> failures, ClusterIds? clusters, string clustersName, string failuresName)
        {
            clusters = Preconditions.NotNull(clusters, clustersName);
            clusters.CheckLength(failures.Length, clustersName, failuresName);
            if (clusters.Count < 2)
            {
                throw new ArgumentException(
                    $"{clustersName} holds a single cluster (\"{clusters.Keys[0]}\"): a clustered interval needs at least two clusters.", clustersName);
            }

            var (f, s) = clusters.Counts(failures);
            var design = new Design(f, s);
            if (design.ClustersWithFailures < 2 || design.ClustersWithSuccesses < 2)
            {
                var (count, what) = design.ClustersWithFailures < 2 ? (design.ClustersWithFailures, "a failure") : (design.ClustersWithSuccesses, "a success");
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"{clustersName}: only {count} of {clusters.Count} clusters hold {what}; a clustered interval needs at least two clusters holding a failure and two holding a success (it is undefined otherwise)."),
                    clustersName);
            }

            return design;
        }
    }
}
