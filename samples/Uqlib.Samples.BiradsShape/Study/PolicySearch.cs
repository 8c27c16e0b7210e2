using System;
using System.Collections.Generic;
using System.Threading;
using Uqlib.Augmentation;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>Learns the test-time augmentation policy of one configuration with greedy policy search (Lyzhov et al. 2020) on the
/// validation patients, pooled over the fold models: one <see cref="CandidateCache"/> per fold model over a seeded
/// <see cref="CandidatePool.Medical"/> pool, concatenated, searched by <see cref="GreedyPolicySearch.Search"/>, and turned into a policy
/// by <see cref="TtaPolicy.FromSearch"/>.</summary>
internal static class PolicySearch
{
    /// <summary>The number of random sub-policies in the pool, besides the identity.</summary>
    internal const int PoolSize = 60;

    /// <summary>The operations per sub-policy (the authors use 2 or 3).</summary>
    internal const int OperationsPerSubPolicy = 2;

    /// <summary>The number of greedy steps: the policy's length, repeats included.</summary>
    internal const int Steps = 10;

    /// <summary>Builds the seeded candidate pool.</summary>
    internal static CandidatePool Pool(int seed) => CandidatePool.Medical(PoolSize, OperationsPerSubPolicy, seed);

    /// <summary>Caches every candidate's log-probabilities of every fold model on the validation slices, then searches.</summary>
    /// <param name="models">The fold models.</param>
    /// <param name="images">The validation slices <c>(N, 1, S, S)</c> on the models' device (not disposed).</param>
    /// <param name="labels">The validation labels <c>(N)</c> (not disposed).</param>
    /// <param name="seed">The seed of the pool and of the search.</param>
    /// <param name="cancellationToken">Cancels between candidates.</param>
    /// <returns>The learned policy, with its temperature.</returns>
    internal static TtaPolicy Learn(IReadOnlyList<IModel> models, Tensor images, Tensor labels, int seed, CancellationToken cancellationToken)
    {
        var pool = Pool(seed);
        var caches = new List<CandidateCache>(models.Count);
        try
        {
            foreach (var model in models)
            {
                caches.Add(CandidateCache.Build(model, new[] { new Batch(images, labels) }, pool, cancellationToken: cancellationToken));
            }

            using var scope = NewDisposeScope();
            var logProbabilities = new List<Tensor>(caches.Count);
            var pooledLabels = new List<Tensor>(caches.Count);
            foreach (var cache in caches)
            {
                logProbabilities.Add(cache.LogProbabilities);
                pooledLabels.Add(cache.Labels);
            }

            var result = GreedyPolicySearch.Search(
                cat(logProbabilities, 1), cat(pooledLabels, 0), new GreedyPolicySearchOptions { Steps = Steps, Seed = seed }, null, cancellationToken);
            return TtaPolicy.FromSearch(result, pool);
        }
        finally
        {
            foreach (var cache in caches)
            {
                cache.Dispose();
            }
        }
    }
}
