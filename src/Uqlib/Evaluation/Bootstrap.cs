using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using static TorchSharp.torch;

namespace Uqlib.Evaluation;

/// <summary>Stratified bootstrap confidence intervals of failure-detection metrics: failures and successes are resampled separately, so every resample keeps the class counts.</summary>
/// <remarks>
/// Percentile intervals (Efron &amp; Tibshirani 1993), stratified as pROC's <c>ci(method = "bootstrap", stratified = TRUE)</c>. Resample b draws
/// from its own generator seeded by (<see cref="BootstrapOptions.Seed"/>, b), so results do not depend on the parallelism. For the
/// built-in metrics the cases are sorted once and each resample is one O(N) weighted walk, without sorting. Thread-safe.
/// </remarks>
public static class Bootstrap
{
    /// <summary>Computes a stratified bootstrap interval of a built-in metric.</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="metric">The metric.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the number of resamples done so far (about every 1%), or <see langword="null"/>.</param>
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
        IProgress<int>? progress = null,
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
        var estimate = Select(ranked.Metrics(default, default), metric);
        int p = ranked.FailureScores.Length, n = ranked.SuccessScores.Length;
        var replicates = Run(options, progress, cancellationToken, () => (new int[p], new int[n]), (random, buffers) =>
        {
            var (failureCounts, successCounts) = buffers;
            Draw(random, failureCounts);
            Draw(random, successCounts);
            return Select(ranked.Metrics(failureCounts, successCounts), metric);
        });
        return Summarise(estimate, replicates, options.ConfidenceLevel);
    }

    /// <summary>Computes a stratified bootstrap interval of a built-in metric, from tensors.</summary>
    /// <param name="scores">Scores <c>(N)</c>, floating point, finite.</param>
    /// <param name="failures">Failure labels <c>(N)</c>: booleans or 0/1.</param>
    /// <param name="metric">The metric.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the number of resamples done so far, or <see langword="null"/>.</param>
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
        IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        return Ci(CaseData.Scores(scores, nameof(scores)), CaseData.Failures(failures, nameof(failures)), metric, options, progress, cancellationToken);
    }

    /// <summary>Computes a stratified bootstrap interval of any metric of (scores, failures).</summary>
    /// <param name="scores">One finite score per case; higher means more likely failure.</param>
    /// <param name="failures">One label per case, <see langword="true"/> for a failure; both classes must occur.</param>
    /// <param name="metric">The metric; called concurrently with resampled arrays (failures first, then successes) and must return a finite number.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the number of resamples done so far, or <see langword="null"/>.</param>
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
        IProgress<int>? progress = null,
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
            for (var i = 0; i < p; i++)
            {
                resampled[i] = ranked.FailureScores[random.Next(p)];
            }

            for (var i = 0; i < n; i++)
            {
                resampled[p + i] = ranked.SuccessScores[random.Next(n)];
            }

            return Finite(metric(resampled, (bool[])labels.Clone()));
        });
        return Summarise(estimate, replicates, options.ConfidenceLevel);
    }

    internal static double Select(RankMetrics metrics, FailureMetric metric)
    {
        return metric switch
        {
            FailureMetric.Auroc => metrics.Auroc,
            FailureMetric.AveragePrecision => metrics.AveragePrecision,
            FailureMetric.FprAt95Tpr => metrics.FprAt95Tpr,
            FailureMetric.Aurc => metrics.Aurc,
            _ => metrics.EAurc,
        };
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

    /// <summary>The resampling engine: replicate b from its own generator seeded by (seed, b), in parallel, reporting progress about every 1%.</summary>
    internal static double[] Run<TLocal>(
        BootstrapOptions options,
        IProgress<int>? progress,
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
                progress.Report(count);
            }

            return local;
        }, _ => { });
        return replicates;
    }

    private static void Draw(Random random, int[] counts)
    {
        Array.Clear(counts);
        var n = counts.Length;
        for (var i = 0; i < n; i++)
        {
            counts[random.Next(n)]++;
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
