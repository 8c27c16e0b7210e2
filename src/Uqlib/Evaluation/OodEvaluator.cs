using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using static TorchSharp.torch;

namespace Uqlib.Evaluation;

/// <summary>
/// Evaluates a score as an out-of-distribution (OOD) detector: an in-distribution (ID) set against one or more OOD sets, OOD the positive
/// class, reporting what OpenOOD (Zhang et al. 2023, "OpenOOD v1.5") and pytorch-ood (Kirchheim et al. 2022) report: AUROC, AUPR-In,
/// AUPR-Out and FPR@95%TPR with bootstrap intervals, the ROC curve, and a table over detectors × OOD sets (near and far).
/// </summary>
/// <remarks>
/// The metrics are those of <see cref="RocEvaluator"/> with OOD in the place of failures (one sort, one walk; AUPR-In one more walk on the
/// negated scores with ID as positive), so they equal scikit-learn's, ties included (see <see cref="OodDetectionResult"/>). Thread-safe.
/// </remarks>
public static class OodEvaluator
{
    /// <summary>Evaluates one detector's scores on an in-distribution set against one OOD set.</summary>
    /// <param name="inDistributionScores">The scores of the in-distribution cases, finite; higher means more likely OOD. At least one.</param>
    /// <param name="oodScores">The scores of the OOD cases, finite. At least one.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="OodOptions.Default"/> (1,000-resample bootstrap intervals).</param>
    /// <param name="progress">Receives, after each metric's bootstrap, the number of metrics done in <see cref="EstimationProgress.Batches"/> (4 in all) and of resamples done in <see cref="EstimationProgress.Samples"/>; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the bootstrap.</param>
    /// <returns>The metrics, their intervals and the ROC curve.</returns>
    /// <exception cref="ArgumentException">A set is empty or holds NaN or ±∞, or the options are invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static OodDetectionResult Evaluate(
        ReadOnlySpan<double> inDistributionScores,
        ReadOnlySpan<double> oodScores,
        OodOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= OodOptions.Default;
        options.Validate();
        Check(inDistributionScores, nameof(inDistributionScores));
        Check(oodScores, nameof(oodScores));
        return EvaluateCore(inDistributionScores, oodScores, options, progress, cancellationToken);
    }

    /// <summary>Evaluates one detector's scores held in tensors (see <see cref="Evaluate(ReadOnlySpan{double}, ReadOnlySpan{double}, OodOptions?, IProgress{EstimationProgress}?, CancellationToken)"/>).</summary>
    /// <param name="inDistributionScores">Scores <c>(N_id)</c> of the in-distribution cases, floating point, finite.</param>
    /// <param name="oodScores">Scores <c>(N_ood)</c> of the OOD cases, floating point, finite.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the metrics and resamples done, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the bootstrap.</param>
    /// <returns>The metrics, their intervals and the ROC curve.</returns>
    /// <exception cref="ArgumentNullException">A tensor is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, not of rank 1, not floating point or holds NaN or ±∞, or the options are invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static OodDetectionResult Evaluate(
        Tensor inDistributionScores,
        Tensor oodScores,
        OodOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        return Evaluate(
            CaseData.Scores(inDistributionScores, nameof(inDistributionScores)),
            CaseData.Scores(oodScores, nameof(oodScores)),
            options,
            progress,
            cancellationToken);
    }

    /// <summary>Evaluates several detectors on one in-distribution set against several OOD sets: one row per detector and set, and per detector the mean over the near and over the far sets, as OpenOOD's tables.</summary>
    /// <param name="inDistributionScores">Each detector's scores <c>(N_id)</c> on the in-distribution set, keyed by the detector's name; finite, higher means more likely OOD.</param>
    /// <param name="oodSets">The OOD sets, each with a score tensor for every detector of <paramref name="inDistributionScores"/> (extra detectors are refused).</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives, after each (detector, set) pair, the number of pairs done in <see cref="EstimationProgress.Batches"/> and of OOD cases evaluated in <see cref="EstimationProgress.Samples"/>; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the evaluation between and within pairs.</param>
    /// <returns>The table: rows in detector order, then set order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inDistributionScores"/>, <paramref name="oodSets"/>, one of the sets or one of the tensors is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">No detector or no set is given, two sets share a name, a set lacks a detector or has one the in-distribution scores lack, a tensor is invalid, or the options are invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static OodComparison Compare(
        IReadOnlyDictionary<string, Tensor> inDistributionScores,
        IReadOnlyList<OodSet> oodSets,
        OodOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Preconditions.NotNull(inDistributionScores, nameof(inDistributionScores));
        Preconditions.NotNull(oodSets, nameof(oodSets));
        options ??= OodOptions.Default;
        options.Validate();
        if (inDistributionScores.Count == 0)
        {
            throw new ArgumentException("inDistributionScores is empty: at least one detector is needed.", nameof(inDistributionScores));
        }

        if (oodSets.Count == 0)
        {
            throw new ArgumentException("oodSets is empty: at least one OOD set is needed.", nameof(oodSets));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var s = 0; s < oodSets.Count; s++)
        {
            var set = oodSets[s] ?? throw new ArgumentNullException(nameof(oodSets), $"oodSets[{s}] is null.");
            if (!names.Add(set.Name))
            {
                throw new ArgumentException($"oodSets holds two sets named \"{set.Name}\"; names must be unique.", nameof(oodSets));
            }

            foreach (var detector in set.Scores.Keys)
            {
                if (!inDistributionScores.ContainsKey(detector))
                {
                    throw new ArgumentException(
                        $"oodSets[{s}] (\"{set.Name}\") has scores of detector \"{detector}\", which inDistributionScores lacks.", nameof(oodSets));
                }
            }
        }

        var rows = new List<OodComparisonRow>(inDistributionScores.Count * oodSets.Count);
        var done = 0;
        long samples = 0;
        foreach (var (detector, tensor) in inDistributionScores)
        {
            var idLabel = $"inDistributionScores[\"{detector}\"]";
            var id = CaseData.Scores(tensor ?? throw new ArgumentNullException(nameof(inDistributionScores), $"{idLabel} is null."), idLabel);
            Check(id, idLabel);
            for (var s = 0; s < oodSets.Count; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var set = oodSets[s];
                var label = $"oodSets[{s}].Scores[\"{detector}\"]";
                if (!set.Scores.TryGetValue(detector, out var oodTensor))
                {
                    throw new ArgumentException($"oodSets[{s}] (\"{set.Name}\") has no scores of detector \"{detector}\".", nameof(oodSets));
                }

                var ood = CaseData.Scores(oodTensor ?? throw new ArgumentNullException(nameof(oodSets), $"{label} is null."), label);
                Check(ood, label);
                rows.Add(new OodComparisonRow(detector, set.Name, set.Shift, EvaluateCore(id, ood, options, null, cancellationToken)));
                samples += ood.Length;
                progress?.Report(new EstimationProgress(++done, samples));
            }
        }

        return new OodComparison(rows, options.Bootstrap?.ConfidenceLevel);
    }

    private static OodDetectionResult EvaluateCore(
        ReadOnlySpan<double> inDistribution, ReadOnlySpan<double> ood, OodOptions options, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken)
    {
        var count = inDistribution.Length + ood.Length;
        var scores = new double[count];
        var negated = new double[count];
        var isOod = new bool[count];
        var isId = new bool[count];
        inDistribution.CopyTo(scores);
        ood.CopyTo(scores.AsSpan(inDistribution.Length));
        for (var i = 0; i < count; i++)
        {
            isOod[i] = i >= inDistribution.Length;
            isId[i] = !isOod[i];
            negated[i] = 0.0 - scores[i];
        }

        var oodPositive = RankedCases.Create(scores, isOod);
        var idPositive = RankedCases.Create(negated, isId);
        var metrics = oodPositive.Metrics(default, default);
        var auprIn = idPositive.Metrics(default, default).AveragePrecision;
        var roc = RocEvaluator.Curves(oodPositive, 0.95).Roc;
        if (options.Bootstrap is not { } bootstrap || inDistribution.Length < 2 || ood.Length < 2)
        {
            return new OodDetectionResult(inDistribution.Length, ood.Length, metrics, auprIn, null, null, null, null, roc);
        }

        var intervals = new BootstrapResult?[4];
        var targets = new (RankedCases Ranked, FailureMetric Metric)[]
        {
            (oodPositive, FailureMetric.Auroc), (idPositive, FailureMetric.AveragePrecision), (oodPositive, FailureMetric.AveragePrecision), (oodPositive, FailureMetric.FprAt95Tpr),
        };
        for (var m = 0; m < targets.Length; m++)
        {
            intervals[m] = Bootstrap.Stratified(targets[m].Ranked, targets[m].Metric, bootstrap, null, cancellationToken, nullWhenUndefined: true);
            progress?.Report(new EstimationProgress(m + 1, (m + 1L) * bootstrap.Resamples));
        }

        return new OodDetectionResult(inDistribution.Length, ood.Length, metrics, auprIn, intervals[0], intervals[1], intervals[2], intervals[3], roc);
    }

    private static void Check(ReadOnlySpan<double> scores, string name)
    {
        if (scores.IsEmpty)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} is empty: OOD evaluation needs at least one case in each set."), name);
        }

        Preconditions.Finite(scores, name);
    }
}
