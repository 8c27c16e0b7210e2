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
    /// <param name="progress">Receives the batches and samples done after each batch, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>The concatenated estimate over all batches; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="batches"/> holds no batch.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static UncertaintyEstimate EstimateAll(
        this IUncertaintyEstimator estimator,
        IEnumerable<Batch> batches,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        ArgumentNullException.ThrowIfNull(batches);

        var probabilities = new List<Tensor>();
        var scores = new List<Tensor>();
        var maps = new List<Tensor>();
        var done = 0;
        long samples = 0;
        try
        {
            foreach (var batch in batches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ArgumentNullException.ThrowIfNull(batch, nameof(batches));
                var estimate = estimator.Estimate(batch.Inputs);
                probabilities.Add(estimate.Probabilities);
                scores.Add(estimate.Scores);
                if (estimate.Map is not null)
                {
                    maps.Add(estimate.Map);
                }

                done++;
                samples += estimate.Count;
                progress?.Report(new EstimationProgress(done, samples));
            }

            if (done == 0)
            {
                throw new ArgumentException("batches is empty: there is nothing to estimate.", nameof(batches));
            }

            if (maps.Count != 0 && maps.Count != done)
            {
                throw new InvalidOperationException($"{estimator.Name} returned a map for some batches but not for others.");
            }

            return new UncertaintyEstimate(
                torch.cat(probabilities, 0),
                torch.cat(scores, 0),
                maps.Count == 0 ? null : torch.cat(maps, 0));
        }
        finally
        {
            DisposeAll(probabilities);
            DisposeAll(scores);
            DisposeAll(maps);
        }
    }

    private static void DisposeAll(List<Tensor> tensors)
    {
        foreach (var tensor in tensors)
        {
            tensor.Dispose();
        }
    }
}
