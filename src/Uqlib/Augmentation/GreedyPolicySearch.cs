using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Extensions.Logging;
using TorchSharp;
using Uqlib.Calibration;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>
/// Greedy policy search (GPS): learns a test-time augmentation policy from the cached predictions of every candidate sub-policy on a
/// labelled validation set, by adding, greedily and with replacement, the candidate that most improves the criterion of the averaged
/// prediction.
/// </summary>
/// <remarks>
/// <para>
/// Lyzhov, Molchanova, Ashukha, Molchanov &amp; Vetrov 2020 (UAI), "Greedy Policy Search: A Simple Baseline for Learnable Test-Time
/// Augmentation". Step t forms, for every candidate s, the running mixture log(((t−1)·π_P + π_s)/t) (by log-sum-exp, from the policy's
/// mixture kept incrementally), scores it, and adds the best candidate (ties: the lowest index). With the default criterion the score is
/// the calibrated log-likelihood: the mean log-likelihood of the labels after temperature scaling fitted on the same samples. Where the
/// authors run Nelder–Mead per candidate, the temperatures of all candidates are fitted at once here, by a safeguarded Newton
/// iteration on 1/T (the negative log-likelihood is convex in 1/T), with the NLL exact to rounding, started from a prediction of each candidate's optimum from the previous steps, in chunks
/// of candidates that bound working memory.
/// </para>
/// <para>The model is never called: the cache holds log-probabilities, (candidates × samples × classes). Thread-safe (no shared state).</para>
/// </remarks>
public static class GreedyPolicySearch
{
    private const double NormalisationTolerance = 1e-3;

    /// <summary>Runs the greedy search over a cache of log-probabilities.</summary>
    /// <param name="logProbabilities">
    /// The cache, <c>(K, N, C)</c>: for each of K candidate sub-policies, the model's log-probabilities (log_softmax of its logits) on the N
    /// validation samples; float16, bfloat16, float32 or float64, finite; computed in float64. Not disposed.
    /// </param>
    /// <param name="labels">The validation labels, <c>(N)</c>, integer class indices in [0, C − 1]. Not disposed.</param>
    /// <param name="options">The options; <see langword="null"/> for <see cref="GreedyPolicySearchOptions.Default"/>.</param>
    /// <param name="progress">Receives each step as soon as it is taken; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the search between chunks of candidates.</param>
    /// <returns>The selected candidates with multiplicity, the final temperature and the per-step curve.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="logProbabilities"/> or <paramref name="labels"/> is <see langword="null"/> (a validation set without labels).</exception>
    /// <exception cref="ArgumentException">
    /// The pool is empty (K = 0); the cache is not of rank 3, has no samples or fewer than 2 classes, is not floating-point, holds NaN or
    /// infinite values, or a row is not normalised (its log-sum-exp differs from 0 by more than 10⁻³: logits rather than log-probabilities);
    /// the labels are not an integer <c>(N)</c> tensor matching the cache or lie outside [0, C − 1]; the held-out check has fewer than 2
    /// samples; or an option is out of range.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static GreedyPolicySearchResult Search(Tensor logProbabilities, Tensor labels, GreedyPolicySearchOptions? options = null,
        IProgress<GreedyPolicySearchStep>? progress = null, CancellationToken cancellationToken = default)
    {
        return Search(logProbabilities, labels, options, progress, cancellationToken, spanKernels: logProbabilities?.device_type == DeviceType.CPU);
    }

    /// <summary>Learns a test-time augmentation policy in one call: caches the model's log-probabilities under every candidate on the labelled validation batches (<see cref="CandidateCache.Build"/>), searches (<see cref="Search(Tensor, Tensor, GreedyPolicySearchOptions?, IProgress{GreedyPolicySearchStep}?, CancellationToken)"/>) and builds the policy (<see cref="TtaPolicy.FromSearch"/>).</summary>
    /// <param name="model">A classification or segmentation model; not disposed.</param>
    /// <param name="validation">The labelled validation batches (class indices, or masks for segmentation); not disposed.</param>
    /// <param name="pool">The candidates, e.g. <see cref="CandidatePool.Medical"/>.</param>
    /// <param name="options">The search options; <see langword="null"/> for <see cref="GreedyPolicySearchOptions.Default"/>.</param>
    /// <param name="cacheOptions">The cache options; <see langword="null"/> for <see cref="CandidateCacheOptions.Default"/>.</param>
    /// <param name="cacheProgress">Receives the batches done while the cache is built; may be <see langword="null"/>.</param>
    /// <param name="searchProgress">Receives each step of the search; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between candidates.</param>
    /// <returns>The selected sub-policies with multiplicity and the fitted temperature; use it with <c>new TestTimeAugmentationEstimator(model, policy, score, policy.CreateCalibrator(classes))</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/>, <paramref name="validation"/> or <paramref name="pool"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The model, the batches, their labels or an option is invalid (see <see cref="CandidateCache.Build"/> and <see cref="Search(Tensor, Tensor, GreedyPolicySearchOptions?, IProgress{GreedyPolicySearchStep}?, CancellationToken)"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static TtaPolicy Fit(IModel model, IEnumerable<Batch> validation, CandidatePool pool, GreedyPolicySearchOptions? options = null,
        CandidateCacheOptions? cacheOptions = null, IProgress<EstimationProgress>? cacheProgress = null, IProgress<GreedyPolicySearchStep>? searchProgress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= GreedyPolicySearchOptions.Default;
        options.Validate();
        using var cache = CandidateCache.Build(model, validation, pool, cacheOptions, cacheProgress, cancellationToken);
        var result = Search(cache.LogProbabilities, cache.Labels, options, searchProgress, cancellationToken);
        return TtaPolicy.FromSearch(result, pool);
    }

    /// <summary>The search with an explicit kernel choice: managed span loops (CPU caches) or batched tensor operations (any device).</summary>
    internal static GreedyPolicySearchResult Search(Tensor logProbabilities, Tensor labels, GreedyPolicySearchOptions? options,
        IProgress<GreedyPolicySearchStep>? progress, CancellationToken cancellationToken, bool spanKernels)
    {
        options ??= GreedyPolicySearchOptions.Default;
        options.Validate();
        Validate(logProbabilities, labels, options);

        using var scope = torch.NewDisposeScope();
        var y = labels.to(ScalarType.Int64).to(logProbabilities.device);
        if (!options.HeldOutCheck)
        {
            return Run(logProbabilities, null, y, null, null, options, progress, cancellationToken, spanKernels);
        }

        var n = logProbabilities.shape[1];
        var generator = new torch.Generator((ulong)options.Seed);
        var permutation = torch.randperm(n, generator: generator).to(logProbabilities.device);
        var first = permutation.narrow(0, 0, (n + 1) / 2);
        var second = permutation.narrow(0, (n + 1) / 2, n / 2);
        return Run(logProbabilities, first, y.index_select(0, first), second, y.index_select(0, second), options, progress, cancellationToken,
            spanKernels);
    }

    /// <summary>
    /// The search on the samples <paramref name="rows"/> of the cache (all when null), reporting the held-out check on
    /// <paramref name="heldRows"/> when not null. The cache is read a chunk of candidates at a time and never copied whole, so it may be
    /// memory-mapped (<see cref="CandidateCacheOptions.DiskDirectory"/>).
    /// </summary>
    private static GreedyPolicySearchResult Run(Tensor cache, Tensor? rows, Tensor labels, Tensor? heldRows, Tensor? heldLabels,
        GreedyPolicySearchOptions options, IProgress<GreedyPolicySearchStep>? progress, CancellationToken cancellationToken, bool spanKernels)
    {
        var spans = spanKernels ? new SpanState(labels, (int)cache.shape[2]) : null;
        var k = (int)cache.shape[0];
        var n = rows?.shape[0] ?? cache.shape[1];
        var minBeta = 1.0 / options.MaxTemperature;
        var maxBeta = 1.0 / options.MinTemperature;
        var perChunk = BatchedTemperature.ChunkSize(n * cache.shape[2], options.ChunkElements);
        var labelIndex = labels.view(1, -1, 1);
        var heldIndex = heldLabels?.view(1, -1, 1);

        var betas = new double[k];
        Array.Fill(betas, Math.Clamp(1.0, minBeta, maxBeta));
        var scores = new double[k];
        var selected = new List<int>();
        var steps = new List<GreedyPolicySearchStep>();
        Tensor? policy = null;
        Tensor? heldPolicy = null;
        var policyBeta = Math.Clamp(1.0, minBeta, maxBeta);
        var heldBeta = policyBeta;
        var previous = double.NaN;
        var earlierPolicyBeta = double.NaN;
        var stoppedEarly = false;
        for (var t = 1; t <= options.Steps; t++)
        {
            var logPrevious = Math.Log(t - 1);
            var logT = Math.Log(t);
            if (t >= 2 && options.Criterion == PolicySearchCriterion.CalibratedLogLikelihood)
            {
                Predict(betas, t, policyBeta, earlierPolicyBeta, minBeta, maxBeta);
            }

            if (spans is not null)
            {
                spans.ScoreAll(cache, rows, policy, logPrevious, logT, options, perChunk, betas, scores, minBeta, maxBeta, cancellationToken);
            }
            else
            {
                using var stepScope = torch.NewDisposeScope();
                var weighted = policy?.add(logPrevious);
                for (long start = 0; start < k; start += perChunk)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var chunkScope = torch.NewDisposeScope();
                    var count = Math.Min(perChunk, k - start);
                    var mixture = Mix(Slice(cache, rows, start, count), weighted, logT);
                    Score(mixture, labelIndex, options.Criterion, betas, scores, start, minBeta, maxBeta);
                }
            }

            var best = 0;
            for (var s = 1; s < k; s++)
            {
                if (scores[s] > scores[best])
                {
                    best = s;
                }
            }

            if (t > 1 && options.MinimumGain is { } minimumGain && scores[best] - previous < minimumGain)
            {
                stoppedEarly = true;
                options.Logger?.Log(LogLevel.Information, LogEvents.StoppedEarly,
                    "GPS stopped before step {Step}: the best candidate {Candidate} gains {Gain:G4}, below the minimum gain {MinimumGain:G4}",
                    t, best, scores[best] - previous, minimumGain);
                break;
            }

            previous = scores[best];
            policy = spans is not null
                ? spans.Advance(policy, cache, rows, best, logPrevious, logT)
                : Advance(policy, cache, rows, best, logPrevious, logT);
            var (temperatureBeta, cll, logLikelihood, accuracy, ece) = Describe(policy, labels, labelIndex,
                options.Criterion == PolicySearchCriterion.CalibratedLogLikelihood ? betas[best] : policyBeta, minBeta, maxBeta);
            earlierPolicyBeta = policyBeta;
            policyBeta = temperatureBeta;
            double? heldOut = null;
            if (heldRows is not null)
            {
                heldPolicy = Advance(heldPolicy, cache, heldRows, best, logPrevious, logT);
                var held = Describe(heldPolicy, heldLabels!, heldIndex!, heldBeta, minBeta, maxBeta);
                heldBeta = held.Beta;
                heldOut = held.CalibratedLogLikelihood;
            }

            selected.Add(best);
            var step = new GreedyPolicySearchStep
            {
                Step = t,
                Candidate = best,
                Temperature = 1.0 / temperatureBeta,
                CalibratedLogLikelihood = cll,
                LogLikelihood = logLikelihood,
                Accuracy = accuracy,
                Ece = ece,
                HeldOutCalibratedLogLikelihood = heldOut,
            };
            steps.Add(step);
            options.Logger?.Log(LogLevel.Information, LogEvents.Step,
                "GPS step {Step}/{Steps}: candidate {Candidate}, T = {Temperature:G4}, calibrated log-likelihood {CalibratedLogLikelihood:G6}, accuracy {Accuracy:G4}",
                t, options.Steps, best, step.Temperature, cll, accuracy);
            progress?.Report(step);
        }

        policy?.Dispose();
        heldPolicy?.Dispose();
        return new GreedyPolicySearchResult(k, options.Criterion, (int)n, stoppedEarly, selected.ToArray(), steps.ToArray());
    }

    /// <summary>
    /// Moves each candidate's warm start for step t from its optimum of step t − 1 to a first-order prediction of its optimum at step t.
    /// </summary>
    /// <remarks>
    /// Step t scores M_t(s) = P + (π_s − P)/t around the policy P of step t − 1, so β_t(s) ≈ B(P) + D(s)/t with D(s) the derivative of
    /// the optimal β along π_s − P. Step t − 1 gave β_{t−1}(s) − B(P′) ≈ D(s)/(t − 1) around the policy P′ before it, and P − P′ is the
    /// step to the candidate it added, whose optimum B(P) moved by B(P) − B(P′) ≈ D(added)/(t − 1). Hence
    /// β_t(s) ≈ B(P) + ((t − 1)·(β_{t−1}(s) − B(P′)) − (B(P) − B(P′)))/t; at t = 2 (no P′) the midpoint of β_1(s) and B(P). Only the
    /// start moves: each search still converges to its own optimum, in fewer evaluations (about 2 instead of 3 per candidate and step).
    /// </remarks>
    private static void Predict(double[] betas, int t, double policyBeta, double earlierPolicyBeta, double minBeta, double maxBeta)
    {
        for (var s = 0; s < betas.Length; s++)
        {
            var start = t == 2
                ? 0.5 * (betas[s] + policyBeta)
                : policyBeta + ((((t - 1) * (betas[s] - earlierPolicyBeta)) - (policyBeta - earlierPolicyBeta)) / t);
            betas[s] = double.IsFinite(start) ? Math.Clamp(start, minBeta, maxBeta) : betas[s];
        }
    }

    /// <summary>Candidates [start, start + count) of the cache, on the samples <paramref name="rows"/> (all when null): one chunk, a view when it can be.</summary>
    private static Tensor Slice(Tensor cache, Tensor? rows, long start, long count)
    {
        var block = cache.narrow(0, start, count);
        return rows is null ? block : block.index_select(1, rows);
    }

    /// <summary>log(((t−1)·π_P + π_s)/t) for a chunk of candidates, given log((t−1)·π_P) (or null at t = 1), in float64.</summary>
    private static Tensor Mix(Tensor candidates, Tensor? weightedPolicy, double logT)
    {
        var m = candidates.to(ScalarType.Float64);
        return weightedPolicy is null ? m : m.logaddexp(weightedPolicy.unsqueeze(0)).sub_(logT);
    }

    private static void Score(Tensor mixture, Tensor labelIndex, PolicySearchCriterion criterion, double[] betas, double[] scores, long start,
        double minBeta, double maxBeta)
    {
        var count = (int)mixture.shape[0];
        Tensor score;
        switch (criterion)
        {
            case PolicySearchCriterion.CalibratedLogLikelihood:
                var (shifted, atLabel) = BatchedTemperature.Shift(mixture, labelIndex);
                var initial = torch.tensor(betas.AsSpan((int)start, count).ToArray(), ScalarType.Float64, mixture.device);
                var (beta, nll) = BatchedTemperature.FitShifted(shifted, atLabel, initial, minBeta, maxBeta);
                CopyTo(beta, betas, start);
                score = nll.neg();
                break;
            case PolicySearchCriterion.LogLikelihood:
                score = mixture.gather(2, labelIndex.expand(count, -1, 1)).squeeze(2).mean(new long[] { 1 });
                break;
            default:
                score = mixture.argmax(2).eq(labelIndex.squeeze(2)).to(ScalarType.Float64).mean(new long[] { 1 });
                break;
        }

        CopyTo(score, scores, start);
    }

    private static Tensor Advance(Tensor? policy, Tensor cache, Tensor? rows, int candidate, double logPrevious, double logT)
    {
        using var scope = torch.NewDisposeScope();
        using var weighted = policy?.add(logPrevious);
        var next = Mix(Slice(cache, rows, candidate, 1), weighted, logT).squeeze(0).contiguous();
        policy?.Dispose();
        return next.MoveToOuterDisposeScope();
    }

    private static (double Beta, double CalibratedLogLikelihood, double LogLikelihood, double Accuracy, double Ece) Describe(Tensor policy,
        Tensor labels, Tensor labelIndex, double startBeta, double minBeta, double maxBeta)
    {
        using var scope = torch.NewDisposeScope();
        var mixture = policy.unsqueeze(0);
        var (shifted, atLabel) = BatchedTemperature.Shift(mixture, labelIndex);
        var initial = torch.full(1, startBeta, ScalarType.Float64, policy.device);
        var (betaTensor, nll) = BatchedTemperature.FitShifted(shifted, atLabel, initial, minBeta, maxBeta);
        var beta = betaTensor.ToDouble();
        var logLikelihood = policy.gather(1, labels.view(-1, 1)).mean().ToDouble();
        var accuracy = policy.argmax(1).eq(labels).to(ScalarType.Float64).mean().ToDouble();
        var ece = CalibrationMetrics.Ece(policy.mul(beta).softmax(1), labels);
        return (beta, -nll.ToDouble(), logLikelihood, accuracy, ece);
    }

    private static void CopyTo(Tensor values, double[] target, long start)
    {
        using var cpu = values.to(ScalarType.Float64).cpu().contiguous();
        cpu.data<double>().CopyTo(target.AsSpan((int)start));
    }

    private static void Validate(Tensor logProbabilities, Tensor labels, GreedyPolicySearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(logProbabilities);
        if (labels is null)
        {
            throw new ArgumentNullException(nameof(labels), "labels is null: greedy policy search needs a labelled validation set.");
        }

        if (logProbabilities.dim() == 3 && logProbabilities.shape[0] == 0)
        {
            throw new ArgumentException(
                $"logProbabilities holds no candidates: the pool is empty (shape {Preconditions.ShapeText(logProbabilities)}).", nameof(logProbabilities));
        }

        Preconditions.Tensor(logProbabilities, nameof(logProbabilities), 3, 3);
        var n = logProbabilities.shape[1];
        var c = logProbabilities.shape[2];
        if (n == 0 || c < 2)
        {
            throw new ArgumentException(
                $"logProbabilities must be (candidates, samples, classes) with at least 1 sample and 2 classes; found shape {Preconditions.ShapeText(logProbabilities)}.",
                nameof(logProbabilities));
        }

        Preconditions.Tensor(labels, nameof(labels), 1, 1);
        if (labels.shape[0] != n)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"labels has {labels.shape[0]} samples but logProbabilities has {n} samples per candidate (shape {Preconditions.ShapeText(logProbabilities)}); they must match."),
                nameof(labels));
        }

        Preconditions.Labels(labels, nameof(labels), c);
        Preconditions.Finite(logProbabilities, nameof(logProbabilities), BatchedTemperature.ChunkSize(n * c, options.ChunkElements));
        if (options.HeldOutCheck && n < 2)
        {
            throw new ArgumentException("The held-out check splits the samples in two halves; it needs at least 2 samples; found 1.", nameof(options));
        }

        CheckNormalised(logProbabilities, options.ChunkElements);
    }

    private static void CheckNormalised(Tensor logProbabilities, long chunkElements)
    {
        var k = logProbabilities.shape[0];
        var perChunk = BatchedTemperature.ChunkSize(logProbabilities.shape[1] * logProbabilities.shape[2], chunkElements);
        for (long start = 0; start < k; start += perChunk)
        {
            using var scope = torch.NewDisposeScope();
            var count = Math.Min(perChunk, k - start);
            var deviation = logProbabilities.narrow(0, start, count).to(ScalarType.Float64).logsumexp(2).abs_();
            var outside = deviation.gt(NormalisationTolerance);
            if (outside.any().item<bool>())
            {
                var flat = outside.flatten().nonzero()[0, 0].ToInt64();
                var candidate = start + (flat / deviation.shape[1]);
                var sample = flat % deviation.shape[1];
                var worst = deviation.flatten()[flat].ToDouble();
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"logProbabilities must hold log-probabilities (each row's log-sum-exp 0, e.g. log_softmax of logits); candidate {candidate}, sample {sample} has log-sum-exp off by {worst:G4}."),
                    nameof(logProbabilities));
            }
        }
    }

    /// <summary>
    /// Buffers of the CPU span path: one candidate's mixture in row blocks (<see cref="SpanKernels"/>), the policy's weighted
    /// log-probabilities in the same layout, each row's maximum and shifted value at the label.
    /// </summary>
    private sealed class SpanState
    {
        private readonly int[] labels;
        private readonly int classes;
        private readonly double[] blocks;
        private readonly double[] weighted;
        private readonly double[] atLabel;
        private readonly double[] rowMaximum;

        public SpanState(Tensor labels, int classes)
        {
            using var cpu = labels.cpu().to(ScalarType.Int32).contiguous();
            this.labels = cpu.data<int>().ToArray();
            this.classes = classes;
            var padded = SpanKernels.Blocks(this.labels.Length) * SpanKernels.Lanes;
            blocks = new double[padded * classes];
            weighted = new double[blocks.Length];
            atLabel = new double[padded];
            rowMaximum = new double[padded];
        }

        public void ScoreAll(Tensor cache, Tensor? rows, Tensor? policy, double logPrevious, double logT, GreedyPolicySearchOptions options, long perChunk,
            double[] betas, double[] scores, double minBeta, double maxBeta, CancellationToken cancellationToken)
        {
            if (policy is not null)
            {
                using var cpu = policy.contiguous();
                SpanKernels.ToBlocks(MemoryMarshal.Cast<byte, double>(cpu.bytes), classes, logPrevious, weighted);
            }

            var k = cache.shape[0];
            for (long start = 0; start < k; start += perChunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var chunkScope = torch.NewDisposeScope();
                var chunk = Slice(cache, rows, start, Math.Min(perChunk, k - start));
                chunk = chunk.dtype is ScalarType.Float32 or ScalarType.Float64 ? chunk.contiguous() : chunk.to(ScalarType.Float32).contiguous();
                if (chunk.dtype == ScalarType.Float32)
                {
                    ScoreChunk(MemoryMarshal.Cast<byte, float>(chunk.bytes), (int)start, policy is not null, logT, options.Criterion, betas, scores, minBeta, maxBeta);
                }
                else
                {
                    ScoreChunk(MemoryMarshal.Cast<byte, double>(chunk.bytes), (int)start, policy is not null, logT, options.Criterion, betas, scores, minBeta, maxBeta);
                }
            }
        }

        public Tensor Advance(Tensor? policy, Tensor cache, Tensor? rows, int candidate, double logPrevious, double logT)
        {
            using var scope = torch.NewDisposeScope();
            var row = Slice(cache, rows, candidate, 1).to(ScalarType.Float64).contiguous();
            var values = MemoryMarshal.Cast<byte, double>(row.bytes);
            var mixture = values.ToArray();
            if (policy is not null)
            {
                using (var cpu = policy.contiguous())
                {
                    var previous = MemoryMarshal.Cast<byte, double>(cpu.bytes);
                    var weightedPolicy = new double[mixture.Length];
                    for (var i = 0; i < weightedPolicy.Length; i++)
                    {
                        weightedPolicy[i] = previous[i] + logPrevious;
                    }

                    SpanKernels.Mixture(weightedPolicy, values, logT, mixture);
                }

                policy.Dispose();
            }

            return torch.tensor(mixture, new long[] { labels.Length, classes }, ScalarType.Float64).MoveToOuterDisposeScope();
        }

        private void ScoreChunk<T>(ReadOnlySpan<T> all, int first, bool mixed, double logT, PolicySearchCriterion criterion, double[] betas,
            double[] scores, double minBeta, double maxBeta)
            where T : unmanaged, INumberBase<T>
        {
            var width = labels.Length * classes;
            var policy = mixed ? weighted : ReadOnlySpan<double>.Empty;
            for (var j = 0; j < all.Length / width; j++)
            {
                var candidate = first + j;
                SpanKernels.ToBlocks(all.Slice(j * width, width), classes, 0.0, blocks);
                SpanKernels.MixAndShift(blocks, policy, classes, labels, atLabel, rowMaximum);
                switch (criterion)
                {
                    case PolicySearchCriterion.CalibratedLogLikelihood:
                        var (beta, nll) = SpanKernels.Fit(blocks, atLabel, classes, labels.Length, betas[candidate], minBeta, maxBeta);
                        betas[candidate] = beta;
                        scores[candidate] = -nll;
                        break;
                    case PolicySearchCriterion.LogLikelihood:
                        scores[candidate] = SpanKernels.LogLikelihood(atLabel, rowMaximum, labels.Length, logT);
                        break;
                    default:
                        scores[candidate] = SpanKernels.Accuracy(blocks, classes, labels);
                        break;
                }
            }
        }
    }
}
