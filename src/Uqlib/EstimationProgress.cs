using System;
using System.Collections.Generic;

namespace Uqlib;

/// <summary>Progress of a pass over data (estimating, fitting, caching): batches and samples processed so far, and the total where it is known.</summary>
/// <param name="Batches">The number of batches done.</param>
/// <param name="Samples">The number of samples done.</param>
/// <remarks>A UI shows <see cref="Fraction"/> as a percentage and estimates the time left as elapsed × (1 − f) / f.</remarks>
public readonly record struct EstimationProgress(int Batches, long Samples)
{
    /// <summary>Gets the number of samples in the whole pass, or <see langword="null"/> where the batches are a lazy sequence whose length is
    /// not known in advance (an image folder streamed from disk).</summary>
    /// <value>Known when the batches are a collection (an array or a list); the default value is <see langword="null"/>.</value>
    public long? TotalSamples { get; init; }

    /// <summary>Gets the fraction of the pass done, <see cref="Samples"/> / <see cref="TotalSamples"/> in [0, 1], or <see langword="null"/> when
    /// the total is not known.</summary>
    public double? Fraction => TotalSamples is long total && total > 0 ? Math.Min(1.0, (double)Samples / total) : null;

    /// <summary>The number of samples in <paramref name="batches"/> when it is a collection (counted without enumerating a lazy sequence), else <see langword="null"/>.</summary>
    /// <param name="batches">The batches of a pass.</param>
    /// <returns>The total number of samples, or <see langword="null"/>.</returns>
    internal static long? TotalOf(IEnumerable<Batch> batches)
    {
        if (batches is not IReadOnlyCollection<Batch> and not ICollection<Batch>)
        {
            return null;
        }

        long total = 0;
        foreach (var batch in batches)
        {
            if (batch is null)
            {
                return null;
            }

            total += batch.Count;
        }

        return total;
    }

    /// <summary>Reports a one-shot fit over <paramref name="samples"/> samples in memory as done (one batch, every sample of the total) and returns its result.</summary>
    /// <typeparam name="T">The type of the fitted value.</typeparam>
    /// <param name="progress">The receiver of the report, or <see langword="null"/>.</param>
    /// <param name="samples">The number of samples fitted on.</param>
    /// <param name="result">The fitted value.</param>
    /// <returns><paramref name="result"/>.</returns>
    internal static T Completed<T>(IProgress<EstimationProgress>? progress, long samples, T result)
    {
        progress?.Report(new EstimationProgress(1, samples) { TotalSamples = samples });
        return result;
    }
}
