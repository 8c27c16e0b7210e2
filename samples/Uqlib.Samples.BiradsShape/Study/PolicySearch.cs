using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using TorchSharp;
using Uqlib.Augmentation;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>Learns the test-time augmentation policy of one configuration with greedy policy search (<see cref="GreedyPolicySearch"/>,
/// Lyzhov et al. 2020) on the validation patients, pooled over the fold models, from a seeded pool of single-operation candidates.</summary>
internal static class PolicySearch
{
    /// <summary>The signed magnitudes at which every medical operation enters the pool.</summary>
    internal static readonly double[] Magnitudes = { -1, -0.5, 0.5, 1 };

    /// <summary>The number of greedy steps: the policy's length, repeats included.</summary>
    internal const int Steps = 10;

    /// <summary>Builds the candidate pool: the identity, then every operation of <see cref="Augmentations.MedicalOperations"/> but the
    /// identity at each of <see cref="Magnitudes"/>; random operations take seeds <paramref name="seed"/> + their index.</summary>
    /// <param name="seed">The seed of the random operations (noise, bias field).</param>
    /// <returns>The pool, the same for the same seed; a saved search result indexes it.</returns>
    internal static IReadOnlyList<IAugmentation> Candidates(int seed)
    {
        var candidates = new List<IAugmentation> { Augmentations.Identity };
        foreach (var operation in Augmentations.MedicalOperations)
        {
            if (operation == AugmentationOperation.Identity)
            {
                continue;
            }

            foreach (var magnitude in Magnitudes)
            {
                candidates.Add(Augmentations.FromOperation(operation, magnitude, seed + candidates.Count));
            }
        }

        return candidates;
    }

    /// <summary>Turns a search result into the policy it selected (each candidate as often as it was selected, in selection order).</summary>
    internal static TtaPolicy ToPolicy(GreedyPolicySearchResult result, IReadOnlyList<IAugmentation> candidates)
    {
        var augmentations = new List<IAugmentation>();
        foreach (var index in result.SelectedCandidates)
        {
            augmentations.Add(candidates[index]);
        }

        return new TtaPolicy(augmentations);
    }

    /// <summary>Caches every candidate's log-probabilities of every fold model on the validation slices, then runs the search.</summary>
    /// <param name="models">The fold models.</param>
    /// <param name="images">The validation slices <c>(N, 1, S, S)</c> on the models' device (not disposed).</param>
    /// <param name="labels">The validation labels.</param>
    /// <param name="seed">The seed of the candidate pool and of the search.</param>
    /// <param name="cancellationToken">Cancels between candidates.</param>
    /// <returns>The search result and the pool it indexes.</returns>
    internal static (GreedyPolicySearchResult Result, IReadOnlyList<IAugmentation> Candidates) Learn(
        IReadOnlyList<IModel> models, Tensor images, IReadOnlyList<int> labels, int seed, CancellationToken cancellationToken)
    {
        var candidates = Candidates(seed);
        using var scope = NewDisposeScope();
        var perCandidate = new List<Tensor>(candidates.Count);
        foreach (var candidate in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var inner = NewDisposeScope();
            var augmented = candidate.Apply(images);
            var perModel = new List<Tensor>(models.Count);
            foreach (var model in models)
            {
                using var output = model.Forward(augmented);
                perModel.Add(output.Logits.to(ScalarType.Float64).log_softmax(1).cpu());
            }

            perCandidate.Add(cat(perModel, 0).MoveToOuterDisposeScope());
        }

        var cache = stack(perCandidate, 0);
        var pooled = new long[labels.Count * models.Count];
        for (var m = 0; m < models.Count; m++)
        {
            for (var i = 0; i < labels.Count; i++)
            {
                pooled[(m * labels.Count) + i] = labels[i];
            }
        }

        var result = GreedyPolicySearch.Search(cache, tensor(pooled), new GreedyPolicySearchOptions { Steps = Steps, Seed = seed }, null, cancellationToken);
        return (result, candidates);
    }
}
