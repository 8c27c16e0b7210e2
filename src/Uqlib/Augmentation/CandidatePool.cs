using System;
using System.Collections.Generic;

namespace Uqlib.Augmentation;

/// <summary>The candidates of a greedy policy search: the identity at index 0, then seeded random sub-policies; candidate k is row k of the search cache.</summary>
/// <remarks>
/// <para>Lyzhov, Molchanova, Ashukha, Molchanov &amp; Vetrov 2020 (UAI), "Greedy Policy Search: A Simple Baseline for Learnable Test-Time
/// Augmentation". As in the authors' code (bayesgroup/gps-augment, <c>BetterRandAugment</c> with a fixed transform), each sub-policy draws N
/// operations with replacement from the operation list and, for each of them, a level m ~ U(−M, M) fixed for the sub-policy (one level shared by
/// the whole sub-policy with <see cref="CandidatePoolOptions.ShareMagnitude"/>). The operation's magnitude is m / <see cref="CandidatePoolOptions.MagnitudeScale"/>,
/// clamped to [−1, 1]; its sign picks the direction of signed operations. An operation whose strength depends on the magnitude is skipped when
/// |m| &lt; <see cref="CandidatePoolOptions.SkipBelow"/> (the authors' <c>true_m0</c>). Identity, flips and quarter turns do not depend on it and are
/// never skipped (the authors' list has no such operation besides the identity).</para>
/// <para>Immutable and thread-safe.</para>
/// </remarks>
public sealed class CandidatePool
{
    private readonly SubPolicy[] candidates;

    private CandidatePool(SubPolicy[] candidates)
    {
        this.candidates = candidates;
    }

    /// <summary>Gets the operations of <see cref="CifarLike"/>: the authors' 15 CIFAR operations that the catalogue has (identity, translations, rotation, contrast, brightness, sharpness).</summary>
    /// <remarks>ShearX/Y, AutoContrast, Solarize, SolarizeAdd, Posterize, Color and Cutout have no counterpart in <see cref="AugmentationOperation"/> and are left out.</remarks>
    public static IReadOnlyList<AugmentationOperation> CifarOperations { get; } = new[]
    {
        AugmentationOperation.Identity, AugmentationOperation.TranslateX, AugmentationOperation.TranslateY, AugmentationOperation.Rotate,
        AugmentationOperation.Contrast, AugmentationOperation.Brightness, AugmentationOperation.Sharpness,
    };

    /// <summary>Gets the candidates; index 0 is <see cref="SubPolicy.Identity"/>.</summary>
    public IReadOnlyList<SubPolicy> Candidates => Array.AsReadOnly(candidates);

    /// <summary>Gets the number of candidates, K.</summary>
    public int Count => candidates.Length;

    /// <summary>Gets the candidate at an index.</summary>
    /// <param name="index">The index, 0 to <see cref="Count"/> − 1.</param>
    /// <returns>The sub-policy.</returns>
    /// <exception cref="IndexOutOfRangeException"><paramref name="index"/> is out of range.</exception>
    public SubPolicy this[int index] => candidates[index];

    /// <summary>Draws a pool: the identity, then each group's sub-policies in order.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <returns>The pool of 1 + Σ counts candidates.</returns>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public static CandidatePool Generate(CandidatePoolOptions? options = null)
    {
        options ??= new CandidatePoolOptions();
        options.Validate();
        var total = 1L;
        foreach (var group in options.Groups)
        {
            total += group.Count;
        }

        if (total > 1_000_000)
        {
            throw new ArgumentException($"A pool holds at most 1,000,000 candidates; the groups ask for {total}.", nameof(options));
        }

        var random = new Random(options.Seed);
        var list = new List<SubPolicy>((int)total) { SubPolicy.Identity };
        var operations = new List<PolicyOperation>();
        foreach (var group in options.Groups)
        {
            for (var i = 0; i < group.Count; i++)
            {
                operations.Clear();
                var shared = ((2 * random.NextDouble()) - 1) * group.MaxMagnitude;
                for (var j = 0; j < group.OperationsPerSubPolicy; j++)
                {
                    var operation = options.Operations[random.Next(options.Operations.Count)];
                    var level = options.ShareMagnitude ? shared : ((2 * random.NextDouble()) - 1) * group.MaxMagnitude;
                    var magnitude = Math.Clamp(level / options.MagnitudeScale, -1, 1);
                    var seed = random.Next();
                    if (operation == AugmentationOperation.Identity || (Math.Abs(level) < options.SkipBelow && DependsOnMagnitude(operation)))
                    {
                        continue;
                    }

                    operations.Add(new PolicyOperation(operation, magnitude, seed));
                }

                list.Add(operations.Count == 0 ? SubPolicy.Identity : new SubPolicy(operations));
            }
        }

        return new CandidatePool(list.ToArray());
    }

    /// <summary>The authors' CIFAR recipe on <see cref="CifarOperations"/>: 500 sub-policies with N = 3, M = 45; 500 with N = 3, M = 20; 100 with N = 3, M = 0; plus the identity (1,101 candidates).</summary>
    /// <param name="seed">The seed of the draws.</param>
    /// <returns>The pool.</returns>
    /// <remarks>Levels above 30 (the scale) are clamped to full strength. With M = 0 every operation here depends on the magnitude, so those 100 sub-policies are identities, kept so that the pool has the authors' layout.</remarks>
    public static CandidatePool CifarLike(int seed = 0) => Generate(new CandidatePoolOptions
    {
        Operations = CifarOperations,
        Groups = new[] { new CandidateGroup(500, 3, 45), new CandidateGroup(500, 3, 20), new CandidateGroup(100, 3, 0) },
        Seed = seed,
    });

    /// <summary>A pool on <see cref="Augmentations.MedicalOperations"/> (no colour operations) for grayscale images <c>(N, C, H, W)</c> or volumes <c>(N, C, D, H, W)</c>.</summary>
    /// <param name="count">The number of random sub-policies besides the identity, from 1 to 100,000.</param>
    /// <param name="operationsPerSubPolicy">N, the operations per sub-policy, from 1 to 64.</param>
    /// <param name="seed">The seed of the draws.</param>
    /// <returns>The pool of <paramref name="count"/> + 1 candidates, with M = 30 (up to full strength).</returns>
    /// <exception cref="ArgumentException"><paramref name="count"/> or <paramref name="operationsPerSubPolicy"/> is out of range.</exception>
    /// <remarks>The same list serves 2-D and 3-D: every operation acts on images and volumes (flips, quarter turns, rotations and translations in the last two spatial axes, the in-plane axes of a volume; scaling about the centre in every axis; intensity operations on each sample's range).</remarks>
    public static CandidatePool Medical(int count = 200, int operationsPerSubPolicy = 2, int seed = 0) => Generate(new CandidatePoolOptions
    {
        Operations = Augmentations.MedicalOperations,
        Groups = new[] { new CandidateGroup(Preconditions.InRange(count, nameof(count), 1, Preconditions.MaxCount), Preconditions.AtLeast(operationsPerSubPolicy, nameof(operationsPerSubPolicy), 1), 30) },
        Seed = seed,
    });

    /// <summary>A pool of the given sub-policies after the identity, e.g. a hand-picked list.</summary>
    /// <param name="subPolicies">The sub-policies; an identity among them is kept (the pool then holds it twice).</param>
    /// <returns>The pool of 1 + the given count candidates.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="subPolicies"/> or one of its items is <see langword="null"/>.</exception>
    public static CandidatePool Of(params SubPolicy[] subPolicies)
    {
        Preconditions.NotNull(subPolicies, nameof(subPolicies));
        var list = new SubPolicy[subPolicies.Length + 1];
        list[0] = SubPolicy.Identity;
        for (var i = 0; i < subPolicies.Length; i++)
        {
            list[i + 1] = subPolicies[i] ?? throw new ArgumentNullException(nameof(subPolicies), $"subPolicies[{i}] is null.");
        }

        return new CandidatePool(list);
    }

    private static bool DependsOnMagnitude(AugmentationOperation operation) =>
        operation is not (AugmentationOperation.Identity or AugmentationOperation.Flip or AugmentationOperation.Rot90);
}
