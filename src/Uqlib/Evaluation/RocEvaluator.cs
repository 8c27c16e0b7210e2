using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace Uqlib.Evaluation;

/// <summary>Evaluates an uncertainty score as a failure detector: AUROC with DeLong's CI, average precision, FPR@95%TPR, AURC, E-AURC, curves and operating points.</summary>
/// <remarks>
/// Failures are the positive class and a higher score ranks a case as more likely to have failed. AUROC, average precision and the
/// ROC and precision–recall curves equal scikit-learn's (ties included); AURC follows Geifman &amp; El-Yaniv 2017 as used by
/// Jaeger et al. 2023 (fd-shifts, "A call to reflect on evaluation practices for failure detection in image classification").
/// The scores are sorted once (radix sort, O(N)); each metric is a linear walk. Thread-safe.
/// </remarks>
public static class RocEvaluator
{
    /// <summary>Evaluates scores against failure labels held in tensors.</summary>
    /// <param name="scores">Scores <c>(N)</c>, floating point, finite; higher means more likely failure.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1; both classes must occur.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The metrics, interval, curves and operating points.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensors are empty, not of rank 1, of different lengths, hold NaN or ±∞ or non-binary labels, have one class only, or the options are invalid.</exception>
    public static FailureDetectionResult Evaluate(Tensor scores, Tensor failures, RocOptions? options = null)
    {
        return Evaluate(CaseData.Scores(scores, nameof(scores)), CaseData.Failures(failures, nameof(failures)), options);
    }

    /// <summary>Evaluates scores against failure labels.</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The metrics, interval, curves and operating points.</returns>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths, hold NaN or ±∞, have one class only, or the options are invalid.</exception>
    public static FailureDetectionResult Evaluate(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures, RocOptions? options = null)
    {
        return EvaluateCore(scores, failures, null, options);
    }

    /// <summary>Evaluates scores of clustered cases (several per patient, volume or site) against failure labels: the AUROC interval is Obuchowski's, with the cluster as the unit.</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="clusters">The cluster of each case; at least two clusters must hold a failure and two a success.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The metrics, the clustered interval (<see cref="ClusteredAuroc"/>), the cluster summary, curves and operating points.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths (<paramref name="clusters"/> included), hold NaN or ±∞, have one class only, fewer than two clusters hold a failure or a success, or the options are invalid.</exception>
    public static FailureDetectionResult Evaluate(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures, ClusterIds clusters, RocOptions? options = null)
    {
        Preconditions.NotNull(clusters, nameof(clusters));
        return EvaluateCore(scores, failures, clusters, options);
    }

    /// <summary>Evaluates scores of clustered cases held in tensors (see <see cref="Evaluate(ReadOnlySpan{double}, ReadOnlySpan{bool}, ClusterIds, RocOptions?)"/>).</summary>
    /// <param name="scores">Scores <c>(N)</c>, floating point, finite; higher means more likely failure.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1; both classes must occur.</param>
    /// <param name="clusters">The cluster of each case.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <returns>The metrics, the clustered interval, the cluster summary, curves and operating points.</returns>
    /// <exception cref="ArgumentNullException">A tensor or <paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensors are invalid, the clusters are (see <see cref="Evaluate(ReadOnlySpan{double}, ReadOnlySpan{bool}, ClusterIds, RocOptions?)"/>), or the options are invalid.</exception>
    public static FailureDetectionResult Evaluate(Tensor scores, Tensor failures, ClusterIds clusters, RocOptions? options = null)
    {
        return Evaluate(CaseData.Scores(scores, nameof(scores)), CaseData.Failures(failures, nameof(failures)), clusters, options);
    }

    /// <summary>Compares several methods' scores on the same cases: AUROC with DeLong's CI, AUPR, FPR@95%TPR, AURC, E-AURC and DeLong's paired test against the best AUROC.</summary>
    /// <param name="scores">One score tensor <c>(N)</c> per method name, same N for all, finite; higher means more likely failure.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1; both classes must occur.</param>
    /// <param name="options">The options (<see cref="RocOptions.ConfidenceLevel"/> and <see cref="RocOptions.PValueAdjustment"/> are used), or <see langword="null"/> for the defaults.</param>
    /// <returns>The table, one row per method in the dictionary's order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scores"/>, one of its tensors or <paramref name="failures"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The dictionary is empty, a tensor is invalid, the lengths differ, the failures hold one class only, or the options are invalid.</exception>
    public static MethodComparison Compare(IReadOnlyDictionary<string, Tensor> scores, Tensor failures, RocOptions? options = null)
    {
        return CompareCore(scores, failures, null, options);
    }

    /// <summary>
    /// Compares several methods' scores on the same clustered cases (several per patient, volume or site): AUROC with Obuchowski's clustered
    /// CI, AUPR, FPR@95%TPR, AURC, E-AURC and Obuchowski's clustered paired test against the best AUROC.
    /// </summary>
    /// <param name="scores">One score tensor <c>(N)</c> per method name, same N for all, finite; higher means more likely failure.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1; both classes must occur.</param>
    /// <param name="clusters">The cluster of each case; at least two clusters must hold a failure and two a success.</param>
    /// <param name="options">The options (<see cref="RocOptions.ConfidenceLevel"/> and <see cref="RocOptions.PValueAdjustment"/> are used), or <see langword="null"/> for the defaults.</param>
    /// <returns>The table, one row per method in the dictionary's order, with the cluster summary.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scores"/>, one of its tensors, <paramref name="failures"/> or <paramref name="clusters"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The dictionary is empty, a tensor is invalid, the lengths differ (<paramref name="clusters"/> included), the failures hold one class only, fewer than two clusters hold a failure or a success, or the options are invalid.</exception>
    public static MethodComparison Compare(IReadOnlyDictionary<string, Tensor> scores, Tensor failures, ClusterIds clusters, RocOptions? options = null)
    {
        Preconditions.NotNull(clusters, nameof(clusters));
        return CompareCore(scores, failures, clusters, options);
    }

    /// <summary>Computes the AUROC alone, identical to scikit-learn's <c>roc_auc_score</c>.</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <returns>The AUROC in [0, 1].</returns>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths, hold NaN or ±∞, or have one class only.</exception>
    public static double Auroc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures)
    {
        return RankMetricsOf(scores, failures).Auroc;
    }

    /// <summary>Computes the average precision alone, identical to scikit-learn's <c>average_precision_score</c>.</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <returns>The average precision in (0, 1].</returns>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths, hold NaN or ±∞, or have one class only.</exception>
    public static double AveragePrecision(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures)
    {
        return RankMetricsOf(scores, failures).AveragePrecision;
    }

    /// <summary>Computes every scalar metric (AUROC, average precision, FPR@95%TPR, AURC, E-AURC) from one sort and one walk, without the interval, curves and operating points of <see cref="Evaluate(ReadOnlySpan{double}, ReadOnlySpan{bool}, RocOptions?)"/>.</summary>
    /// <remarks>
    /// Asking for AUROC and average precision separately (<see cref="Auroc"/>, then <see cref="AveragePrecision"/>) validates and sorts the
    /// cases twice; this gives both for the cost of one. Each value equals the one of <see cref="Evaluate(ReadOnlySpan{double}, ReadOnlySpan{bool}, RocOptions?)"/>.
    /// </remarks>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths, hold NaN or ±∞, or have one class only.</exception>
    public static RocMetrics Metrics(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures)
    {
        var metrics = RankMetricsOf(scores, failures);
        return new RocMetrics(metrics.Auroc, metrics.AveragePrecision, metrics.FprAt95Tpr, metrics.Aurc, metrics.EAurc);
    }

    /// <summary>Computes every scalar metric from scores and failure labels held in tensors (see <see cref="Metrics(ReadOnlySpan{double}, ReadOnlySpan{bool})"/>).</summary>
    /// <param name="scores">Scores <c>(N)</c>, floating point, finite; higher means more likely failure.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1; both classes must occur.</param>
    /// <returns>The metrics.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensors are empty, not of rank 1, of different lengths, hold NaN or ±∞ or non-binary labels, or have one class only.</exception>
    public static RocMetrics Metrics(Tensor scores, Tensor failures)
    {
        return Metrics(CaseData.Scores(scores, nameof(scores)), CaseData.Failures(failures, nameof(failures)));
    }

    /// <summary>Computes the sensitivity, specificity and fraction flagged when every case scoring at or above <paramref name="threshold"/> is flagged.</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="threshold">The score threshold (any number but NaN).</param>
    /// <returns>The operating point.</returns>
    /// <exception cref="ArgumentException">The inputs are empty, of different lengths, hold NaN or ±∞, or have one class only.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is NaN.</exception>
    public static OperatingPoint AtThreshold(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures, double threshold)
    {
        if (double.IsNaN(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be a number; found NaN.");
        }

        CaseData.Check(scores, nameof(scores), failures, nameof(failures));
        return PointAt(RankedCases.Create(scores, failures), threshold);
    }

    /// <summary>The scalar metrics of validated or unvalidated cases (checked here).</summary>
    private static RankMetrics RankMetricsOf(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures)
    {
        CaseData.Check(scores, nameof(scores), failures, nameof(failures));
        return RankedCases.Create(scores, failures).Metrics(default, default);
    }

    private static MethodComparison CompareCore(IReadOnlyDictionary<string, Tensor> scores, Tensor failures, ClusterIds? clusters, RocOptions? options)
    {
        Preconditions.NotNull(scores, nameof(scores));
        options ??= new RocOptions();
        options.Validate();
        if (scores.Count == 0)
        {
            throw new ArgumentException("scores is empty: at least one method is needed.", nameof(scores));
        }

        var labels = CaseData.Failures(failures, nameof(failures));
        var names = new List<string>(scores.Count);
        var values = new List<double[]>(scores.Count);
        foreach (var (name, tensor) in scores)
        {
            var label = $"scores[\"{name}\"]";
            var array = CaseData.Scores(tensor ?? throw new ArgumentNullException(nameof(scores), $"{label} is null."), label);
            CaseData.Check(array, label, labels, nameof(failures));
            names.Add(name);
            values.Add(array);
        }

        var design = clusters is null ? null : ClusteredAuroc.Design.Of(labels, clusters, nameof(clusters), nameof(failures));
        var components = design is null ? null : values.Select(v => ClusteredAuroc.Components(v, labels, clusters!, design)).ToArray();
        var ranked = values.Select(v => RankedCases.Create(v, labels)).ToArray();
        var metrics = ranked.Select(r => r.Metrics(default, default)).ToArray();
        var best = 0;
        for (var m = 1; m < metrics.Length; m++)
        {
            best = metrics[m].Auroc > metrics[best].Auroc ? m : best;
        }

        var pValues = new double?[names.Count];
        for (var m = 0; m < pValues.Length; m++)
        {
            pValues[m] = m == best ? null
                : design is null ? DeLong.PairedTestCore(values[best], values[m], labels, options.ConfidenceLevel).Result?.PValue
                : ClusteredAuroc.DifferenceVariance(design, components![best], components[m]) > 0
                    ? ClusteredAuroc.PairedTestCore(design, components[best], components[m], options.ConfidenceLevel).PValue
                    : null;
        }

        if (options.PValueAdjustment == PValueAdjustment.Holm)
        {
            Holm(pValues);
        }

        var rows = new MethodComparisonRow[names.Count];
        for (var m = 0; m < rows.Length; m++)
        {
            var ci = design is null
                ? DeLong.AurocCiCore(ranked[m], metrics[m].Auroc, options.ConfidenceLevel)
                : ClusteredAuroc.Interval(components![m].Auc, ClusteredAuroc.Variance(design, components[m], "clusters"), options.ConfidenceLevel);
            rows[m] = new MethodComparisonRow(
                names[m], metrics[m].Auroc, ci, metrics[m].AveragePrecision, metrics[m].FprAt95Tpr, metrics[m].Aurc, metrics[m].EAurc, metrics[m].Augrc, pValues[m]);
        }

        return new MethodComparison(rows, labels.Length, labels.Count(f => f), clusters?.Summary(labels), options.PValueAdjustment);
    }

    /// <summary>Holm's step-down adjustment (Holm 1979) of the non-null p-values in place: the j-th smallest of m becomes max over k ≤ j of min(1, (m − k + 1) p_(k)), as R's <c>p.adjust(method = "holm")</c>.</summary>
    internal static void Holm(double?[] pValues)
    {
        var order = Enumerable.Range(0, pValues.Length).Where(i => pValues[i] is not null).OrderBy(i => pValues[i]!.Value).ToArray();
        var running = 0.0;
        for (var k = 0; k < order.Length; k++)
        {
            running = Math.Max(running, Math.Min(1, (order.Length - k) * pValues[order[k]]!.Value));
            pValues[order[k]] = running;
        }
    }

    private static FailureDetectionResult EvaluateCore(ReadOnlySpan<double> scores, ReadOnlySpan<bool> failures, ClusterIds? clusters, RocOptions? options)
    {
        options ??= new RocOptions();
        options.Validate();
        CaseData.Check(scores, nameof(scores), failures, nameof(failures));

        var ranked = RankedCases.Create(scores, failures);
        var metrics = ranked.Metrics(default, default);
        ConfidenceInterval? ci;
        ClusterSummary? summary = null;
        if (clusters is null)
        {
            ci = DeLong.AurocCiCore(ranked, metrics.Auroc, options.ConfidenceLevel);
        }
        else
        {
            var clustered = ClusteredAuroc.Estimate(scores, failures, clusters, options.ConfidenceLevel);
            ci = clustered.Ci;
            summary = clustered.Clusters;
        }

        long p = ranked.FailureScores.Length, n = ranked.SuccessScores.Length;
        var atThreshold = options.Threshold is { } t ? PointAt(ranked, t) : null;
        var curves = Curves(ranked, options.TargetSensitivity);
        return new FailureDetectionResult(
            scores.Length,
            (int)p,
            metrics,
            ci,
            summary,
            curves.Roc,
            curves.PrecisionRecall,
            curves.RiskCoverage,
            atThreshold,
            curves.ForTargetSensitivity,
            curves.Youden);
    }

    private static OperatingPoint PointAt(RankedCases ranked, double threshold)
    {
        var (failed, succeeded) = ranked.CountAtOrAbove(threshold);
        long p = ranked.FailureScores.Length, n = ranked.SuccessScores.Length;
        return new OperatingPoint(threshold, failed / (double)p, (n - succeeded) / (double)n, (failed + succeeded) / (double)(p + n));
    }

    private static OperatingPoint Point(double threshold, long tps, long fps, long p, long n)
    {
        return new OperatingPoint(threshold, tps / (double)p, (n - fps) / (double)n, (tps + fps) / (double)(p + n));
    }

    /// <summary>
    /// The curves and the curve-based operating points in two walks over the distinct scores, without materialising scikit-learn's
    /// (thresholds, tps, fps) arrays: the first counts the points of each curve, the second fills arrays of exactly that size, so
    /// the memory held is the result's own.
    /// </summary>
    internal static (RocCurve Roc, PrecisionRecallCurve PrecisionRecall, RiskCoverageCurve RiskCoverage, OperatingPoint ForTargetSensitivity, OperatingPoint Youden)
        Curves(RankedCases ranked, double target)
    {
        long positives = ranked.FailureScores.Length, negatives = ranked.SuccessScores.Length;
        var count = 0;
        var kept = 0;
        long tps1 = 0, fps1 = 0, tps2 = 0, fps2 = 0;
        var walk = ranked.Walk();
        while (walk.MoveNext())
        {
            // scikit-learn's drop_intermediate: keep the ends and every point where a second difference of fps or tps is non-zero;
            // the point before the current one is decided here.
            if (count >= 2 && (walk.Fps - (2 * fps1) + fps2 != 0 || walk.Tps - (2 * tps1) + tps2 != 0))
            {
                kept++;
            }

            (tps2, fps2, tps1, fps1) = (tps1, fps1, walk.Tps, walk.Fps);
            count++;
        }

        kept += Math.Min(count, 2);

        double p = positives, n = negatives, total = p + n;
        var fpr = new double[kept + 1];
        var tpr = new double[kept + 1];
        var rocThresholds = new double[kept + 1];
        var precision = new double[count + 1];
        var recall = new double[count + 1];
        var prThresholds = new double[count];
        var coverage = new double[count + 1];
        var risk = new double[count + 1];
        coverage[0] = 1;
        risk[0] = p / total;
        OperatingPoint? forTarget = null;
        var youden = (J: double.NegativeInfinity, Threshold: 0.0, Tps: 0L, Fps: 0L);
        var k = 1;
        var index = 0;
        var previous = (Threshold: 0.0, Tps: 0L, Fps: 0L);
        tps1 = fps1 = tps2 = fps2 = 0;
        walk = ranked.Walk();
        while (walk.MoveNext())
        {
            double threshold = walk.Threshold;
            long tps = walk.Tps, fps = walk.Fps;
            if (index == 0)
            {
                rocThresholds[0] = threshold + 1;
                Add(ref k, threshold, tps, fps);
            }
            else if (index >= 2 && (fps - (2 * fps1) + fps2 != 0 || tps - (2 * tps1) + tps2 != 0))
            {
                Add(ref k, previous.Threshold, previous.Tps, previous.Fps);
            }

            var back = count - 1 - index;
            precision[back] = tps / (double)(tps + fps);
            recall[back] = tps / p;
            prThresholds[back] = threshold;
            if (index < count - 1)
            {
                var keptCases = total - tps - fps;
                coverage[index + 1] = keptCases / total;
                risk[index + 1] = (p - tps) / keptCases;
            }

            if (forTarget is null && tps / p >= target)
            {
                forTarget = Point(threshold, tps, fps, positives, negatives);
            }

            var j = (tps / p) - (fps / n);
            if (j > youden.J)
            {
                youden = (j, threshold, tps, fps);
            }

            (tps2, fps2, tps1, fps1) = (tps1, fps1, tps, fps);
            previous = (threshold, tps, fps);
            index++;
        }

        if (count >= 2)
        {
            Add(ref k, previous.Threshold, previous.Tps, previous.Fps);
        }

        precision[count] = 1;
        recall[count] = 0;
        coverage[count] = 0;
        risk[count] = risk[count - 1];
        return (
            new RocCurve(fpr, tpr, rocThresholds),
            new PrecisionRecallCurve(precision, recall, prThresholds),
            new RiskCoverageCurve(coverage, risk),
            forTarget ?? Point(previous.Threshold, previous.Tps, previous.Fps, positives, negatives),
            Point(youden.Threshold, youden.Tps, youden.Fps, positives, negatives));

        void Add(ref int at, double threshold, long tps, long fps)
        {
            fpr[at] = fps / n;
            tpr[at] = tps / p;
            rocThresholds[at] = threshold;
            at++;
        }
    }
}
