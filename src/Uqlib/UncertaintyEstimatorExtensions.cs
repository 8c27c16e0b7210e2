using System;
using System.Collections.Generic;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>Streaming helpers for every <see cref="IUncertaintyEstimator"/>.</summary>
public static class UncertaintyEstimatorExtensions
{
    /// <summary>Estimates uncertainty over a sequence of batches and concatenates the results, keeping memory flat: only the results are kept.</summary>
    /// <param name="estimator">The estimator, already fitted where it needs fitting.</param>
    /// <param name="batches">The batches; each is enumerated once and not disposed.</param>
    /// <param name="progress">Receives the batches and samples done after each batch, with the total when <paramref name="batches"/> is a collection, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>The concatenated estimate over all batches, on the device of the first batch's estimate; the caller disposes it.</returns>
    /// <remarks>
    /// Each batch runs in its own dispose scope, and its probabilities, scores and map are copied into buffers for the results, so
    /// nothing of a batch outlives it. When <paramref name="batches"/> is a collection, the total is known and each result is one
    /// tensor of exactly its size, filled in place: peak memory is the largest batch's working set plus the returned estimate. Over a
    /// lazy sequence the results are gathered in chunks (each a quarter of the rows so far, none copied while growing) and copied into
    /// tensors of exactly their size at the end, each chunk freed once copied: the estimate plus about one chunk, a quarter of it, are
    /// held at the peak (resident memory; the allocation bound is 2.25 times the estimate). Measured by peak-memory tests and in
    /// docs/benchmarks.md, "Peak memory".
    /// </remarks>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="batches"/> holds no batch.</exception>
    /// <exception cref="InvalidOperationException">The estimator returned a map for some batches but not for others, or results of another shape beyond dimension 0, dtype or device than for the first batch.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static UncertaintyEstimate EstimateAll(
        this IUncertaintyEstimator estimator,
        IEnumerable<Batch> batches,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        ArgumentNullException.ThrowIfNull(batches);

        var total = EstimationProgress.TotalOf(batches);
        using var probabilities = new RowBuffer($"{estimator.Name}'s probabilities", total ?? 0);
        using var scores = new RowBuffer($"{estimator.Name}'s scores", total ?? 0);
        using var maps = new RowBuffer($"{estimator.Name}'s maps", total ?? 0);
        var done = 0;
        long samples = 0;
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ArgumentNullException.ThrowIfNull(batch, nameof(batches));
            using (var scope = torch.NewDisposeScope())
            using (var estimate = estimator.Estimate(batch.Inputs))
            {
                if (done > 0 && (estimate.Map is not null) != (maps.Count > 0))
                {
                    throw new InvalidOperationException($"{estimator.Name} returned a map for some batches but not for others.");
                }

                probabilities.Append(estimate.Probabilities);
                scores.Append(estimate.Scores);
                if (estimate.Map is not null)
                {
                    maps.Append(estimate.Map);
                }

                samples += estimate.Count;
            }

            done++;
            progress?.Report(new EstimationProgress(done, samples) { TotalSamples = total });
        }

        if (done == 0)
        {
            throw new ArgumentException("batches is empty: there is nothing to estimate.", nameof(batches));
        }

        return new UncertaintyEstimate(probabilities.Take(), scores.Take(), maps.Count == 0 ? null : maps.Take());
    }
}
