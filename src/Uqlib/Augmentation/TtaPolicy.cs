using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Uqlib.Calibration;
using Uqlib.Persistence;

namespace Uqlib.Augmentation;

/// <summary>An immutable list of test-time augmentations (repeats allowed, identity included or not), each giving one augmented copy of a batch.</summary>
/// <remarks>
/// <para>A policy learnt by greedy policy search (Lyzhov et al. 2020, "Greedy Policy Search: A Simple Baseline for Learnable Test-Time
/// Augmentation") repeats the sub-policies it selects several times; each repeat counts as one copy in the average. Such a policy, built by
/// <see cref="FromSearch"/> or <see cref="FromSubPolicies"/>, keeps its <see cref="SubPolicies"/> and its fitted <see cref="Temperature"/>, saves
/// to and loads from a checksummed file (operation, magnitude and seed of each operation, so it rebuilds exactly), and gives the
/// calibrator of its averaged prediction by <see cref="CreateCalibrator"/>.</para>
/// </remarks>
public sealed class TtaPolicy
{
    private const string Kind = "TtaPolicy";
    private const int Version = 1;

    private readonly IAugmentation[] augmentations;
    private readonly SubPolicy[]? subPolicies;

    /// <summary>Initializes a new instance of the <see cref="TtaPolicy"/> class.</summary>
    /// <param name="augmentations">The augmentations, at least one; include <see cref="Augmentations.Identity"/> for the plain prediction.</param>
    /// <exception cref="ArgumentNullException"><paramref name="augmentations"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="augmentations"/> is empty.</exception>
    public TtaPolicy(IEnumerable<IAugmentation> augmentations)
    {
        Preconditions.NotNull(augmentations, nameof(augmentations));
        this.augmentations = augmentations.ToArray();
        if (this.augmentations.Length == 0)
        {
            throw new ArgumentException("A policy needs at least one augmentation; found none.", nameof(augmentations));
        }

        for (var i = 0; i < this.augmentations.Length; i++)
        {
            if (this.augmentations[i] is null)
            {
                throw new ArgumentNullException(nameof(augmentations), $"augmentations[{i}] is null.");
            }
        }
    }

    private TtaPolicy(SubPolicy[] subPolicies, double? temperature)
    {
        this.subPolicies = subPolicies;
        augmentations = subPolicies.Select(s => s.Augmentation).ToArray();
        Temperature = temperature;
    }

    /// <summary>Gets the sub-policies the augmentations were built from, in order with repeats, or <see langword="null"/> for a policy of plain augmentations.</summary>
    public IReadOnlyList<SubPolicy>? SubPolicies => subPolicies is null ? null : Array.AsReadOnly(subPolicies);

    /// <summary>Gets the temperature of the averaged prediction, softmax(log p̄ / T), fitted by the policy search; <see langword="null"/> when there is none.</summary>
    public double? Temperature { get; }

    /// <summary>Gets the augmentations, in order.</summary>
    public IReadOnlyList<IAugmentation> Augmentations => Array.AsReadOnly(augmentations);

    /// <summary>Gets the number of augmented copies per batch.</summary>
    public int Count => augmentations.Length;

    /// <summary>Gets a value indicating whether any augmentation moves pixels.</summary>
    public bool IsGeometric => augmentations.Any(a => a.IsGeometric);

    /// <summary>Creates a policy from the given augmentations.</summary>
    /// <param name="augmentations">The augmentations, at least one.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="augmentations"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="augmentations"/> is empty.</exception>
    public static TtaPolicy Of(params IAugmentation[] augmentations) => new(augmentations);

    /// <summary>Creates a policy of sub-policies (repeats allowed), with an optional temperature of its averaged prediction.</summary>
    /// <param name="subPolicies">The sub-policies, at least one.</param>
    /// <param name="temperature">The temperature, finite and positive, or <see langword="null"/>.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="subPolicies"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="subPolicies"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not finite and positive.</exception>
    public static TtaPolicy FromSubPolicies(IEnumerable<SubPolicy> subPolicies, double? temperature = null)
    {
        Preconditions.NotNull(subPolicies, nameof(subPolicies));
        var list = subPolicies.ToArray();
        if (list.Length == 0)
        {
            throw new ArgumentException("A policy needs at least one sub-policy; found none.", nameof(subPolicies));
        }

        for (var i = 0; i < list.Length; i++)
        {
            if (list[i] is null)
            {
                throw new ArgumentNullException(nameof(subPolicies), $"subPolicies[{i}] is null.");
            }
        }

        if (temperature is { } t)
        {
            Preconditions.Positive(t, nameof(temperature));
        }

        return new TtaPolicy(list, temperature);
    }

    /// <summary>The policy a greedy policy search selected: the pool's sub-policies at <see cref="GreedyPolicySearchResult.SelectedCandidates"/>, in order with their multiplicity, and the fitted temperature.</summary>
    /// <param name="result">The search result.</param>
    /// <param name="pool">The pool whose candidates formed the searched cache, in the same order.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> or <paramref name="pool"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The pool's size differs from the searched cache's number of candidates.</exception>
    public static TtaPolicy FromSearch(GreedyPolicySearchResult result, CandidatePool pool)
    {
        Preconditions.NotNull(result, nameof(result));
        Preconditions.NotNull(pool, nameof(pool));
        if (pool.Count != result.CandidateCount)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The search ran over {result.CandidateCount} candidates but the pool has {pool.Count}; pass the pool that built the cache."),
                nameof(pool));
        }

        var selected = new SubPolicy[result.SelectedCandidates.Count];
        for (var i = 0; i < selected.Length; i++)
        {
            selected[i] = pool[result.SelectedCandidates[i]];
        }

        return new TtaPolicy(selected, result.Temperature);
    }

    /// <summary>Loads a policy saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The policy, with the same sub-policies (operations, magnitudes, seeds) and temperature.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a TtaPolicy file of this version, or is truncated or corrupt.</exception>
    public static TtaPolicy Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            double? temperature = reader.Has("temperature") ? reader.Double("temperature") : null;
            var list = reader.Objects("subPolicies");
            if (list.Count == 0)
            {
                throw reader.Invalid("\"subPolicies\" is empty");
            }

            var subPolicies = new List<SubPolicy>(list.Count);
            foreach (var item in list)
            {
                var operations = new List<PolicyOperation>();
                foreach (var entry in item.Objects("operations"))
                {
                    operations.Add(new PolicyOperation(entry.Enum<AugmentationOperation>("operation"), entry.Double("magnitude"), entry.Int32("seed")));
                }

                subPolicies.Add(new SubPolicy(operations));
            }

            return FromSubPolicies(subPolicies, temperature);
        });
    }

    /// <summary>Saves the policy's sub-policies and temperature to a checksummed file, atomically (a failed save leaves an existing file unchanged).</summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="InvalidOperationException">The policy was built from plain augmentations, not sub-policies.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (subPolicies is null)
        {
            throw new InvalidOperationException("Only a policy of sub-policies (TtaPolicy.FromSearch or FromSubPolicies) can be saved; this one holds plain augmentations.");
        }

        FittedFile.Save(path, Kind, Version, writer =>
        {
            if (Temperature is { } temperature)
            {
                writer.Number("temperature", temperature);
            }

            writer.Objects("subPolicies", subPolicies, (item, subPolicy) => item.Objects("operations", subPolicy.Operations, (entry, operation) =>
            {
                entry.Enum("operation", operation.Operation);
                entry.Number("magnitude", operation.Magnitude);
                entry.Number("seed", operation.Seed);
            }));
        });
    }

    /// <summary>The temperature scaling of the averaged prediction, for <c>new TestTimeAugmentationEstimator(model, policy, score, policy.CreateCalibrator(classes))</c>.</summary>
    /// <param name="classes">The model's number of classes, from 2 to 100,000.</param>
    /// <returns><see cref="TemperatureScaling.WithTemperature"/> at <see cref="Temperature"/>.</returns>
    /// <exception cref="InvalidOperationException">The policy has no temperature.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is outside [2, 100,000].</exception>
    public TemperatureScaling CreateCalibrator(int classes)
    {
        Preconditions.AtLeast(classes, nameof(classes), 2);
        if (Temperature is not { } temperature)
        {
            throw new InvalidOperationException("This policy has no temperature; build it with TtaPolicy.FromSearch or give FromSubPolicies a temperature.");
        }

        return TemperatureScaling.WithTemperature(temperature, classes);
    }

    /// <summary>The identity and a flip along every spatial axis: a policy that suits most medical images.</summary>
    /// <param name="spatialDimensions">2 for images, 3 for volumes.</param>
    /// <returns>A policy of 1 + <paramref name="spatialDimensions"/> augmentations.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="spatialDimensions"/> is not 2 or 3.</exception>
    public static TtaPolicy Flips(int spatialDimensions = 2)
    {
        if (spatialDimensions is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(spatialDimensions), spatialDimensions, $"spatialDimensions must be 2 or 3; found {spatialDimensions}.");
        }

        var list = new List<IAugmentation> { Uqlib.Augmentation.Augmentations.Identity };
        for (var axis = 0; axis < spatialDimensions; axis++)
        {
            list.Add(Uqlib.Augmentation.Augmentations.Flip(axis));
        }

        return new TtaPolicy(list);
    }

    /// <summary>A one-line description of the fitted value (scikit-learn's repr style, invariant culture), e.g. for logs and notebooks.</summary>
    /// <returns>The type name and its fitted parameters.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"TtaPolicy(augmentations={Count}, T={(Temperature is double t ? t.ToString("0.####", CultureInfo.InvariantCulture) : "none")})");
}
