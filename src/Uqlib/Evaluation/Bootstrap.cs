using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MathNet.Numerics.Distributions;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Evaluation;

/// <summary>Stratified bootstrap confidence intervals of failure-detection metrics: failures and successes are resampled separately, so every resample keeps the class counts; with cluster ids, whole clusters are resampled.</summary>
/// <remarks>
/// Percentile intervals (Efron &amp; Tibshirani 1993), stratified as pROC's <c>ci(method = "bootstrap", stratified = TRUE)</c>, or BCa intervals
/// (Efron 1987) when <see cref="BootstrapOptions.Interval"/> asks, their acceleration from the leave-one-out jackknife (one case, or one cluster,
/// out at a time: O(N) passes of O(N) each without clusters, so meant for thousands of cases, not millions). Resample b draws
/// from its own generator seeded by (<see cref="BootstrapOptions.Seed"/>, b), so results do not depend on the parallelism. For the
/// built-in metrics the cases are sorted once and each resample is one O(N) weighted walk, without sorting; for the AUROC each failure's
/// rank among the successes is found once, and a resample is a prefix sum of the successes' counts and one weighted sum over the failures.
/// Thread-safe.
/// </remarks>
public static class Bootstrap
{
    /// <summary>Computes a stratified bootstrap interval of a built-in metric.</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="metric">The metric.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the resamples done so far (about every 1%, and at the end; from worker threads) as <see cref="EstimationProgress"/>: <see cref="EstimationProgress.Batches"/> and <see cref="EstimationProgress.Samples"/> both count resamples, <see cref="EstimationProgress.TotalSamples"/> is <see cref="BootstrapOptions.Resamples"/>; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the computation.</param>
    /// <returns>The estimate, interval, standard error and replicates.</returns>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths, hold NaN or ±∞, hold fewer than 2 failures or 2 successes, the options are invalid,
    /// or the interval has zero width (every resample gave the same value, e.g. a perfect separation), where no interval is defined.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="metric"/> is not a defined <see cref="FailureMetric"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static BootstrapResult Ci(
        ReadOnlySpan<double> scores,
        ReadOnlySpan<bool> failures,
        FailureMetric metric,
        BootstrapOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, $"metric must be a defined FailureMetric; found {metric}.");
        }

        options ??= new BootstrapOptions();
        options.Validate();
        CaseData.Check(scores, nameof(scores), failures, nameof(failures));
        var ranked = RankedCases.Create(scores, failures);
        CheckStrata(ranked);
        return Stratified(ranked, metric, options, progress, cancellationToken, nullWhenUndefined: false)!;
    }

    /// <summary>
    /// The stratified case bootstrap of a built-in metric on ranked cases (at least 2 of each class, checked by the caller). With
    /// <paramref name="nullWhenUndefined"/>, an interval that is undefined (zero width, or for BCa every replicate on one side of the
    /// estimate) gives <see langword="null"/> instead of an exception.
    /// </summary>
    internal static BootstrapResult? Stratified(
        RankedCases ranked, FailureMetric metric, BootstrapOptions options, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken, bool nullWhenUndefined)
    {
        var target = options.TargetSensitivity;
        var estimate = Value(ranked, default, default, metric, target);
        int p = ranked.FailureScores.Length, n = ranked.SuccessScores.Length;
        // The AUROC of a resample is a prefix sum over the successes' counts, given each failure's rank among the successes (found once).
        var (below, atOrBelow) = metric == FailureMetric.Auroc ? ranked.SuccessRanks() : (Array.Empty<int>(), Array.Empty<int>());
        var replicates = Run(options, progress, cancellationToken, () => (new int[p], new int[n], new long[n + 1]), (random, buffers) =>
        {
            var (failureCounts, successCounts, prefix) = buffers;
            Draw(random, failureCounts);
            Draw(random, successCounts);
            return metric == FailureMetric.Auroc
                ? RankedCases.WeightedAuroc(below, atOrBelow, failureCounts, successCounts, prefix)
                : Value(ranked, failureCounts, successCounts, metric, target);
        });
        if (nullWhenUndefined && Undefined(estimate, replicates, options))
        {
            return null;
        }

        return Finish(estimate, replicates, options, cancellationToken, p + n, (left, token) =>
        {
            // Leave case `left` out: every sorted case weighs 1 but that one (failures first, then successes).
            var failureCounts = new int[p];
            var successCounts = new int[n];
            failureCounts.AsSpan().Fill(1);
            successCounts.AsSpan().Fill(1);
            (left < p ? failureCounts : successCounts)[left < p ? left : left - p] = 0;
            return Value(ranked, failureCounts, successCounts, metric, target);
        });
    }

    /// <summary>Computes a stratified bootstrap interval of a built-in metric, from tensors.</summary>
    /// <param name="scores">Scores <c>(N)</c>, floating point, finite.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1.</param>
    /// <param name="metric">The metric.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the resamples done so far (about every 1%, and at the end; from worker threads) as <see cref="EstimationProgress"/>: <see cref="EstimationProgress.Batches"/> and <see cref="EstimationProgress.Samples"/> both count resamples, <see cref="EstimationProgress.TotalSamples"/> is <see cref="BootstrapOptions.Resamples"/>; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the computation.</param>
    /// <returns>The estimate, interval, standard error and replicates.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensors are invalid (see <see cref="RocEvaluator.Evaluate(Tensor, Tensor, RocOptions?)"/>), hold fewer than 2 failures or 2 successes,
    /// the options are invalid, or the interval has zero width.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="metric"/> is not a defined <see cref="FailureMetric"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static BootstrapResult Ci(
        Tensor scores,
        Tensor failures,
        FailureMetric metric,
        BootstrapOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        return Ci(CaseData.Scores(scores, nameof(scores)), CaseData.Failures(failures, nameof(failures)), metric, options, progress, cancellationToken);
    }

    /// <summary>Computes a stratified bootstrap interval of any metric of (scores, failures).</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="metric">The metric; called concurrently with resampled arrays (failures first, then successes) and must return a finite number.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the resamples done so far (about every 1%, and at the end; from worker threads) as <see cref="EstimationProgress"/>: <see cref="EstimationProgress.Batches"/> and <see cref="EstimationProgress.Samples"/> both count resamples, <see cref="EstimationProgress.TotalSamples"/> is <see cref="BootstrapOptions.Resamples"/>; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the computation.</param>
    /// <returns>The estimate, interval, standard error and replicates.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="metric"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The inputs are invalid or hold fewer than 2 failures or 2 successes, the options are invalid, the metric returned NaN or ±∞,
    /// or the interval has zero width.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static BootstrapResult Ci(
        ReadOnlySpan<double> scores,
        ReadOnlySpan<bool> failures,
        Func<double[], bool[], double> metric,
        BootstrapOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Preconditions.NotNull(metric, nameof(metric));
        options ??= new BootstrapOptions();
        options.Validate();
        CaseData.Check(scores, nameof(scores), failures, nameof(failures));
        var ranked = RankedCases.Create(scores, failures);
        CheckStrata(ranked);
        int p = ranked.FailureScores.Length, n = ranked.SuccessScores.Length;
        var labels = new bool[p + n];
        labels.AsSpan(0, p).Fill(true);
        var estimate = Finite(metric(scores.ToArray(), failures.ToArray()));
        var replicates = Run(options, progress, cancellationToken, () => 0, (random, _) =>
        {
            var resampled = new double[p + n];
            var failureDraws = new CaseDraws(random, p);
            for (var i = 0; i < p; i++)
            {
                resampled[i] = ranked.FailureScores[failureDraws.Next()];
            }

            var successDraws = new CaseDraws(random, n);
            for (var i = 0; i < n; i++)
            {
                resampled[p + i] = ranked.SuccessScores[successDraws.Next()];
            }

            return Finite(metric(resampled, (bool[])labels.Clone()));
        });
        var ordered = new double[p + n];
        ranked.FailureScores.CopyTo(ordered, 0);
        ranked.SuccessScores.CopyTo(ordered, p);
        return Finish(estimate, replicates, options, cancellationToken, p + n, (left, token) =>
        {
            var kept = new double[p + n - 1];
            var keptLabels = new bool[p + n - 1];
            for (int i = 0, k = 0; i < p + n; i++)
            {
                if (i != left)
                {
                    kept[k] = ordered[i];
                    keptLabels[k++] = i < p;
                }
            }

            return Finite(metric(kept, keptLabels));
        });
    }

    /// <summary>
    /// Computes a cluster bootstrap interval of a built-in failure-detection metric: whole clusters (patients, volumes, sites) are
    /// resampled with replacement, stratified by whether a cluster holds any failure when both kinds of cluster exist.
    /// </summary>
    /// <remarks>
    /// The cluster bootstrap (Davison &amp; Hinkley 1997, §3.8; Field &amp; Welsh 2007) keeps the dependence between the cases of one
    /// cluster, which the case bootstrap would break and so give too narrow an interval. A resample with no success at all (possible only
    /// when every cluster holds a failure) is drawn again. For the BCa interval the acceleration comes from the leave-one-cluster-out
    /// jackknife, one O(N) pass per cluster.
    /// </remarks>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="clusters">The cluster of each case; at least two clusters must hold a failure and two a success.</param>
    /// <param name="metric">The metric.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the resamples done so far (about every 1%, and at the end; from worker threads) as <see cref="EstimationProgress"/>: <see cref="EstimationProgress.Batches"/> and <see cref="EstimationProgress.Samples"/> both count resamples, <see cref="EstimationProgress.TotalSamples"/> is <see cref="BootstrapOptions.Resamples"/>; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the computation.</param>
    /// <returns>The estimate, interval, standard error and replicates.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths (<paramref name="clusters"/> included), hold NaN or ±∞, have one class only, fewer than two clusters hold a failure or a success, the options are invalid, or the BCa interval is undefined (every replicate on one side of the estimate).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="metric"/> is not a defined <see cref="FailureMetric"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static BootstrapResult Ci(
        ReadOnlySpan<double> scores,
        ReadOnlySpan<bool> failures,
        ClusterIds clusters,
        FailureMetric metric,
        BootstrapOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, $"metric must be a defined FailureMetric; found {metric}.");
        }

        options ??= new BootstrapOptions();
        options.Validate();
        CaseData.Check(scores, nameof(scores), failures, nameof(failures));
        var design = ClusteredAuroc.Design.Of(failures, clusters, nameof(clusters), nameof(failures));
        var (ranked, failureCases, successCases) = RankedCases.CreateWithCases(scores, failures);
        var index = clusters.Indices.ToArray();
        var target = options.TargetSensitivity;
        var strata = Array.ConvertAll(design.FailuresPerCluster, f => f > 0);
        var successesPerCluster = design.SuccessesPerCluster;
        return ClusterCi(
            clusters.Count,
            strata,
            Value(ranked, default, default, metric, target),
            counts =>
            {
                long successes = 0;
                for (var c = 0; c < counts.Length; c++)
                {
                    successes += (long)counts[c] * successesPerCluster[c];
                }

                return successes > 0;
            },
            () => (new int[failureCases.Length], new int[successCases.Length]),
            (counts, buffers) =>
            {
                var (failureWeights, successWeights) = buffers;
                for (var i = 0; i < failureWeights.Length; i++)
                {
                    failureWeights[i] = counts[index[failureCases[i]]];
                }

                for (var i = 0; i < successWeights.Length; i++)
                {
                    successWeights[i] = counts[index[successCases[i]]];
                }

                return Value(ranked, failureWeights, successWeights, metric, target);
            },
            options,
            progress,
            cancellationToken);
    }

    /// <summary>Computes a cluster bootstrap interval of a built-in failure-detection metric, from tensors (see <see cref="Ci(ReadOnlySpan{double}, ReadOnlySpan{bool}, ClusterIds, FailureMetric, BootstrapOptions?, IProgress{EstimationProgress}?, CancellationToken)"/>).</summary>
    /// <param name="scores">Scores <c>(N)</c>, floating point, finite.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1.</param>
    /// <param name="clusters">The cluster of each case.</param>
    /// <param name="metric">The metric.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the resamples done so far (about every 1%, and at the end; from worker threads) as <see cref="EstimationProgress"/>: <see cref="EstimationProgress.Batches"/> and <see cref="EstimationProgress.Samples"/> both count resamples, <see cref="EstimationProgress.TotalSamples"/> is <see cref="BootstrapOptions.Resamples"/>; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the computation.</param>
    /// <returns>The estimate, interval, standard error and replicates.</returns>
    /// <exception cref="ArgumentNullException">A tensor or <paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensors, the clusters or the options are invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="metric"/> is not a defined <see cref="FailureMetric"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static BootstrapResult Ci(
        Tensor scores,
        Tensor failures,
        ClusterIds clusters,
        FailureMetric metric,
        BootstrapOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        return Ci(CaseData.Scores(scores, nameof(scores)), CaseData.Failures(failures, nameof(failures)), clusters, metric, options, progress, cancellationToken);
    }

    /// <summary>
    /// Computes a cluster bootstrap interval of a calibration metric (ECE, Brier score, NLL, accuracy) of predicted probabilities:
    /// whole clusters are resampled with replacement.
    /// </summary>
    /// <remarks>
    /// Unlike the failure-detection metrics, which need both classes in every resample, these are resampled without strata: stratifying by
    /// whether a cluster holds a misclassified case would hold the accuracy nearly fixed (exactly fixed with clusters of one case) and so
    /// understate its spread. Each resample is materialised (the cases of each drawn cluster, as often as it was drawn) and the metric computed by
    /// <see cref="Calibration.CalibrationMetrics"/>, so the estimate equals that class's value. The BCa acceleration comes from the
    /// leave-one-cluster-out jackknife.
    /// </remarks>
    /// <param name="probabilities">N × C class probabilities in row-major order, or N binary positive-class probabilities.</param>
    /// <param name="labels">N integer class indices.</param>
    /// <param name="clusters">The cluster of each case; at least two clusters.</param>
    /// <param name="metric">The metric; <see cref="CalibrationMetric.Ece"/> uses <see cref="BootstrapOptions.Bins"/> equal-width bins.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the resamples done so far (about every 1%, and at the end; from worker threads) as <see cref="EstimationProgress"/>: <see cref="EstimationProgress.Batches"/> and <see cref="EstimationProgress.Samples"/> both count resamples, <see cref="EstimationProgress.TotalSamples"/> is <see cref="BootstrapOptions.Resamples"/>; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the computation.</param>
    /// <returns>The estimate, interval, standard error and replicates.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The spans are empty or of inconsistent lengths (<paramref name="clusters"/> included), the probabilities are invalid, a label is out of range, there is a single cluster, the options are invalid, a resample's metric is not finite (NLL with a zero probability), or the BCa interval is undefined.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="metric"/> is not a defined <see cref="CalibrationMetric"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static BootstrapResult Ci(
        ReadOnlySpan<double> probabilities,
        ReadOnlySpan<int> labels,
        ClusterIds clusters,
        CalibrationMetric metric,
        BootstrapOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, $"metric must be a defined CalibrationMetric; found {metric}.");
        }

        options ??= new BootstrapOptions();
        options.Validate();
        Calibration.CalibrationInput.Check(probabilities, labels);
        clusters = Preconditions.NotNull(clusters, nameof(clusters));
        clusters.CheckLength(labels.Length, nameof(clusters), nameof(labels));
        if (clusters.Count < 2)
        {
            throw new ArgumentException(
                $"clusters holds a single cluster (\"{clusters.Keys[0]}\"): a cluster bootstrap needs at least two clusters.", nameof(clusters));
        }

        var width = probabilities.Length / labels.Length;
        var p = probabilities.ToArray();
        var y = labels.ToArray();
        var index = clusters.Indices.ToArray();
        var bins = options.Bins;
        double Compute(int[]? counts)
        {
            var total = 0;
            for (var i = 0; i < y.Length; i++)
            {
                total += counts is null ? 1 : counts[index[i]];
            }

            var sampleP = new double[total * width];
            var sampleY = new int[total];
            var k = 0;
            for (var i = 0; i < y.Length; i++)
            {
                for (var r = counts is null ? 1 : counts[index[i]]; r > 0; r--, k++)
                {
                    Array.Copy(p, i * width, sampleP, k * width, width);
                    sampleY[k] = y[i];
                }
            }

            return metric switch
            {
                CalibrationMetric.Ece => Calibration.CalibrationMetrics.Ece(sampleP, sampleY, bins),
                CalibrationMetric.BrierScore => Calibration.CalibrationMetrics.BrierScore(sampleP, sampleY),
                CalibrationMetric.NegativeLogLikelihood => Calibration.CalibrationMetrics.NegativeLogLikelihood(sampleP, sampleY),
                _ => Accuracy(sampleP, sampleY, width),
            };
        }

        return ClusterCi(clusters.Count, new bool[clusters.Count], Finite(Compute(null)), _ => true, () => 0, (counts, _) => Compute(counts), options, progress, cancellationToken);
    }

    /// <summary>Computes a cluster bootstrap interval of a calibration metric from tensors (see <see cref="Ci(ReadOnlySpan{double}, ReadOnlySpan{int}, ClusterIds, CalibrationMetric, BootstrapOptions?, IProgress{EstimationProgress}?, CancellationToken)"/>).</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c> or binary positive-class probabilities <c>(N)</c>.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>.</param>
    /// <param name="clusters">The cluster of each case; at least two clusters.</param>
    /// <param name="metric">The metric.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the resamples done so far (about every 1%, and at the end; from worker threads) as <see cref="EstimationProgress"/>: <see cref="EstimationProgress.Batches"/> and <see cref="EstimationProgress.Samples"/> both count resamples, <see cref="EstimationProgress.TotalSamples"/> is <see cref="BootstrapOptions.Resamples"/>; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the computation.</param>
    /// <returns>The estimate, interval, standard error and replicates.</returns>
    /// <exception cref="ArgumentNullException">A tensor or <paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the probabilities are invalid, a label is out of range, or the clusters or options are invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="metric"/> is not a defined <see cref="CalibrationMetric"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static BootstrapResult Ci(
        Tensor probabilities,
        Tensor labels,
        ClusterIds clusters,
        CalibrationMetric metric,
        BootstrapOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var (checkedP, checkedY) = Calibration.CalibrationInput.Check(probabilities, labels);
        checkedP.Dispose();
        using (checkedY)
        {
            using var scope = torch.NewDisposeScope();
            var p = probabilities.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
            var y = Array.ConvertAll(checkedY.cpu().contiguous().data<long>().ToArray(), v => (int)v);
            return Ci(p, y, clusters, metric, options, progress, cancellationToken);
        }
    }

    /// <summary>The value of a built-in metric on (weighted) ranked cases.</summary>
    internal static double Value(RankedCases ranked, ReadOnlySpan<int> failureWeights, ReadOnlySpan<int> successWeights, FailureMetric metric, double targetSensitivity)
    {
        return metric == FailureMetric.ReferralRate
            ? ranked.ReferralRate(failureWeights, successWeights, targetSensitivity)
            : Select(ranked.Metrics(failureWeights, successWeights), metric);
    }

    /// <summary>
    /// The BCa interval (Efron 1987, "Better bootstrap confidence intervals", JASA 82:171–185) of replicates given the jackknife values of
    /// the statistic, as SciPy's <c>scipy.stats.bootstrap(method="BCa")</c>: bias correction z0 = Φ⁻¹(share of replicates below the
    /// estimate, ties counting one half), acceleration a = Σ(θ̄ − θ_(i))³ / (6 [Σ(θ̄ − θ_(i))²]^(3/2)) (0 when the jackknife values are all
    /// equal), and the replicates' linear quantiles at Φ(z0 + (z0 + z_α) / (1 − a (z0 + z_α))) for α and 1 − α.
    /// </summary>
    internal static BootstrapResult Bca(double estimate, double[] replicates, double[] jackknife, double level)
    {
        var percentile = Summarise(estimate, replicates, level);
        double below = 0;
        foreach (var r in replicates)
        {
            below += r < estimate ? 1 : r == estimate ? 0.5 : 0;
        }

        foreach (var j in jackknife)
        {
            if (!double.IsFinite(j))
            {
                throw new ArgumentException(
                    "options: the BCa interval is undefined because the metric is undefined with one unit left out (too few failures or clusters); use the percentile interval.",
                    "options");
            }
        }

        var share = below / replicates.Length;
        if (share <= 0 || share >= 1)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"options: the BCa interval is undefined because every replicate lies on one side of the estimate {estimate}; use the percentile interval."),
                "options");
        }

        double mean = 0;
        foreach (var j in jackknife)
        {
            mean += j;
        }

        mean /= jackknife.Length;
        double cubes = 0, squares = 0;
        foreach (var j in jackknife)
        {
            var d = mean - j;
            squares += d * d;
            cubes += d * d * d;
        }

        var acceleration = squares > 0 ? cubes / (6 * Math.Pow(squares, 1.5)) : 0;
        var z0 = Normal.InvCDF(0, 1, share);
        var zAlpha = Normal.InvCDF(0, 1, (1 - level) / 2);
        double Adjusted(double z) => Normal.CDF(0, 1, z0 + ((z0 + z) / (1 - (acceleration * (z0 + z)))));
        var sorted = (double[])replicates.Clone();
        Array.Sort(sorted);
        var ci = new ConfidenceInterval(Quantile(sorted, Adjusted(zAlpha)), Quantile(sorted, Adjusted(-zAlpha)), level);
        return new BootstrapResult(estimate, ci, percentile.StandardError, replicates);
    }

    internal static double Select(RankMetrics metrics, FailureMetric metric)
    {
        return metric switch
        {
            FailureMetric.Auroc => metrics.Auroc,
            FailureMetric.AveragePrecision => metrics.AveragePrecision,
            FailureMetric.FprAt95Tpr => metrics.FprAt95Tpr,
            FailureMetric.Aurc => metrics.Aurc,
            FailureMetric.Augrc => metrics.Augrc,
            _ => metrics.EAurc,
        };
    }

    /// <summary>Whether the interval the options ask for is undefined: a zero-width percentile interval, or for BCa every replicate on one side of the estimate.</summary>
    private static bool Undefined(double estimate, double[] replicates, BootstrapOptions options)
    {
        var sorted = (double[])replicates.Clone();
        Array.Sort(sorted);
        var alpha = (1 - options.ConfidenceLevel) / 2;
        if (!(Quantile(sorted, 1 - alpha) > Quantile(sorted, alpha)))
        {
            return true;
        }

        double below = 0;
        foreach (var r in replicates)
        {
            below += r < estimate ? 1 : r == estimate ? 0.5 : 0;
        }

        return options.Interval == BootstrapInterval.Bca && (below <= 0 || below >= replicates.Length);
    }

    /// <summary>NumPy's default (linear) quantile of sorted values.</summary>
    internal static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }

    /// <summary>Refuses strata too small to resample: with one failure (or one success) every resample repeats it, and the interval ignores that class's variability.</summary>
    private static void CheckStrata(RankedCases ranked)
    {
        int p = ranked.FailureScores.Length, n = ranked.SuccessScores.Length;
        if (p < 2 || n < 2)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"failures holds {p} failure(s) and {n} success(es); the stratified bootstrap needs at least 2 of each (one case resampled is always the same case, so the interval would ignore that class's variability)."),
                "failures");
        }
    }

    /// <summary>The resampling engine: replicate b from its own generator seeded by (seed, b), in parallel, reporting the resamples done about every 1% and at the end.</summary>
    internal static double[] Run<TLocal>(
        BootstrapOptions options,
        IProgress<EstimationProgress>? progress,
        CancellationToken cancellationToken,
        Func<TLocal> init,
        Func<Random, TLocal, double> replicate)
    {
        var replicates = new double[options.Resamples];
        var done = 0;
        var step = Math.Max(1, options.Resamples / 100);
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        Parallel.For(0, options.Resamples, parallel, init, (b, _, local) =>
        {
            var random = new Random(ResampleSeed(options.Seed, b));
            replicates[b] = replicate(random, local);
            var count = Interlocked.Increment(ref done);
            if (progress is not null && (count % step == 0 || count == options.Resamples))
            {
                progress.Report(new EstimationProgress(count, count) { TotalSamples = options.Resamples });
            }

            return local;
        }, _ => { });
        return replicates;
    }

    /// <summary>Draws counts.Length cases with replacement into per-case counts (<see cref="CaseDraws"/>, seeded from the resample's generator).</summary>
    private static void Draw(Random random, int[] counts)
    {
        Array.Clear(counts);
        var draws = new CaseDraws(random, counts.Length);
        for (var i = 0; i < counts.Length; i++)
        {
            counts[draws.Next()]++;
        }
    }

    /// <summary>
    /// Uniform case indices in [0, n) for one stratum of one resample: SplitMix64 (Steele, Lea &amp; Flood 2014) seeded from the resample's
    /// generator, reduced by the high half of a 64 × 64-bit product (Lemire 2019; bias below n / 2⁶⁴). About a third of the cost of
    /// <see cref="Random.Next(int)"/> per draw, which was most of a resample's time once the AUROC became a prefix sum.
    /// </summary>
    private struct CaseDraws
    {
        private readonly ulong count;
        private ulong state;

        public CaseDraws(Random random, int count)
        {
            this.count = (ulong)count;
            state = (ulong)random.NextInt64();
        }

        public int Next()
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (int)Math.BigMul(z ^ (z >> 31), count, out _);
        }
    }

    /// <summary>A SplitMix64 mix of (seed, resample index), so neighbouring resamples get unrelated generators.</summary>
    private static int ResampleSeed(int seed, int index)
    {
        var z = ((ulong)(uint)seed << 32 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFF_FFFF);
    }

    /// <summary>
    /// The cluster bootstrap: each resample draws, within each stratum of clusters, as many clusters as the stratum holds, with
    /// replacement (from its own generator, as <see cref="Run{TLocal}"/>); <paramref name="accept"/> may refuse a resample, which is then
    /// drawn again. <paramref name="metric"/> gets the number of times each cluster was drawn.
    /// </summary>
    private static BootstrapResult ClusterCi<TLocal>(
        int clusterCount,
        bool[] strata,
        double estimate,
        Func<int[], bool> accept,
        Func<TLocal> init,
        Func<int[], TLocal, double> metric,
        BootstrapOptions options,
        IProgress<EstimationProgress>? progress,
        CancellationToken cancellationToken)
    {
        var first = new List<int>();
        var second = new List<int>();
        for (var c = 0; c < clusterCount; c++)
        {
            (strata[c] ? first : second).Add(c);
        }

        var groups = first.Count > 0 && second.Count > 0 ? new[] { first.ToArray(), second.ToArray() } : new[] { Enumerable.Range(0, clusterCount).ToArray() };
        var replicates = Run(options, progress, cancellationToken, () => (new int[clusterCount], init()), (random, local) =>
        {
            var (counts, buffers) = local;
            for (var attempt = 0; ; attempt++)
            {
                Array.Clear(counts);
                foreach (var group in groups)
                {
                    for (var k = 0; k < group.Length; k++)
                    {
                        counts[group[random.Next(group.Length)]]++;
                    }
                }

                if (accept(counts))
                {
                    break;
                }

                if (attempt == 1000)
                {
                    throw new ArgumentException("clusters: 1,000 cluster resamples in a row lacked a class; too few clusters hold successes.", "clusters");
                }
            }

            return Finite(metric(counts, buffers));
        });
        return Finish(estimate, replicates, options, cancellationToken, clusterCount, (left, token) =>
        {
            var counts = new int[clusterCount];
            counts.AsSpan().Fill(1);
            counts[left] = 0;
            return Finite(metric(counts, init()));
        });
    }

    /// <summary>The interval the options ask for: the percentile interval, or BCa with the jackknife of <paramref name="leaveOut"/> over <paramref name="units"/> units.</summary>
    private static BootstrapResult Finish(
        double estimate, double[] replicates, BootstrapOptions options, CancellationToken cancellationToken, int units, Func<int, CancellationToken, double> leaveOut)
    {
        if (options.Interval == BootstrapInterval.Percentile)
        {
            return Summarise(estimate, replicates, options.ConfidenceLevel);
        }

        var jackknife = new double[units];
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };
        Parallel.For(0, units, parallel, u => jackknife[u] = leaveOut(u, cancellationToken));
        return Bca(estimate, replicates, jackknife, options.ConfidenceLevel);
    }

    private static double Accuracy(double[] probabilities, int[] labels, int width)
    {
        var (_, correct) = Calibration.CalibrationInput.TopLabel(probabilities, labels);
        double sum = 0;
        foreach (var c in correct)
        {
            sum += c;
        }

        return sum / correct.Length;
    }

    private static double Finite(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException($"metric returned {value}; a bootstrap needs a finite number from every resample.", "metric");
        }

        return value;
    }

    /// <summary>The percentile interval (NumPy's linear quantile) and standard error (ddof = 1) of the replicates; a zero-width interval is refused, naming <paramref name="name"/>.</summary>
    internal static BootstrapResult Summarise(double estimate, double[] replicates, double level, string name = "scores")
    {
        var sorted = (double[])replicates.Clone();
        Array.Sort(sorted);
        double mean = 0;
        foreach (var r in replicates)
        {
            mean += r;
        }

        mean /= replicates.Length;
        double squares = 0;
        foreach (var r in replicates)
        {
            squares += (r - mean) * (r - mean);
        }

        var alpha = (1 - level) / 2;
        var ci = new ConfidenceInterval(Quantile(sorted, alpha), Quantile(sorted, 1 - alpha), level);
        if (!(ci.Upper > ci.Lower))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"The bootstrap interval is undefined: {(sorted[0] == sorted[^1] ? "every resample" : "the central resamples")} gave the metric {ci.Lower}, so the percentile interval has zero width (e.g. scores that separate failures from successes perfectly, or every prediction certain and right)."),
                name);
        }

        return new BootstrapResult(estimate, ci, Math.Sqrt(squares / (replicates.Length - 1)), replicates);
    }
}
