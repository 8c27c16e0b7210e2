using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Uqlib.Augmentation;

/// <summary>Options of <see cref="CandidatePool.Generate"/>: the operation list, the groups of sub-policies to draw, the magnitude scale and the seed.</summary>
/// <remarks>Lyzhov et al. 2020, "Greedy Policy Search: A Simple Baseline for Learnable Test-Time Augmentation" (bayesgroup/gps-augment).</remarks>
public sealed record CandidatePoolOptions
{
    private const int MaxOperations = 64;

    /// <summary>Gets the operations sub-policies are drawn from, with replacement.</summary>
    /// <value>The default value is <see cref="Augmentations.MedicalOperations"/>.</value>
    public IReadOnlyList<AugmentationOperation> Operations { get; init; } = Augmentations.MedicalOperations;

    /// <summary>Gets the groups of sub-policies to draw, in order (after the identity at index 0).</summary>
    /// <value>The default value is one group of 100 sub-policies of 2 operations with M = 30 (magnitudes up to full strength).</value>
    public IReadOnlyList<CandidateGroup> Groups { get; init; } = new[] { new CandidateGroup(100, 2, 30) };

    /// <summary>Gets the magnitude level of full strength: a drawn m becomes the operation's magnitude m / scale, clamped to [−1, 1].</summary>
    /// <value>The default value is 30, the authors' scale (m/30 of each operation's range).</value>
    public double MagnitudeScale { get; init; } = 30;

    /// <summary>Gets the level below which (in absolute value) an operation whose strength depends on the magnitude is skipped.</summary>
    /// <value>The default value is 0.5, as the authors (so a group with M = 0 keeps only the magnitude-free operations: identity, flips, quarter turns).</value>
    public double SkipBelow { get; init; } = 0.5;

    /// <summary>Gets a value indicating whether one level m is drawn per sub-policy and shared by its operations, instead of one per operation.</summary>
    /// <value>The default value is <see langword="false"/>: one level per operation, fixed for the sub-policy, as in the authors' code.</value>
    public bool ShareMagnitude { get; init; }

    /// <summary>Gets the seed of the draws; the same seed gives the same pool.</summary>
    /// <value>The default value is 0.</value>
    public int Seed { get; init; }

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">An option is missing or out of range.</exception>
    public void Validate()
    {
        var problems = new StringBuilder();
        if (Operations is null || Operations.Count == 0)
        {
            problems.Append("Operations must hold at least one operation; found none. ");
        }
        else
        {
            foreach (var operation in Operations)
            {
                if (!Enum.IsDefined(operation))
                {
                    problems.Append(CultureInfo.InvariantCulture, $"Operations holds an undefined AugmentationOperation {operation}. ");
                }
            }
        }

        if (Groups is null)
        {
            problems.Append("Groups must not be null. ");
        }
        else
        {
            for (var i = 0; i < Groups.Count; i++)
            {
                var group = Groups[i];
                if (group is null)
                {
                    problems.Append(CultureInfo.InvariantCulture, $"Groups[{i}] is null. ");
                    continue;
                }

                if (group.Count < 1 || group.Count > Preconditions.MaxCount || group.OperationsPerSubPolicy < 1 || group.OperationsPerSubPolicy > MaxOperations
                    || !double.IsFinite(group.MaxMagnitude) || group.MaxMagnitude < 0)
                {
                    problems.Append(CultureInfo.InvariantCulture,
                        $"Groups[{i}] must have Count in [1, {Preconditions.MaxCount}], OperationsPerSubPolicy in [1, {MaxOperations}] and a finite MaxMagnitude ≥ 0; found {group}. ");
                }
            }
        }

        if (!double.IsFinite(MagnitudeScale) || MagnitudeScale <= 0)
        {
            problems.Append(CultureInfo.InvariantCulture, $"MagnitudeScale must be finite and positive; found {MagnitudeScale}. ");
        }

        if (!double.IsFinite(SkipBelow) || SkipBelow < 0)
        {
            problems.Append(CultureInfo.InvariantCulture, $"SkipBelow must be finite and non-negative; found {SkipBelow}. ");
        }

        if (problems.Length > 0)
        {
            throw new ArgumentException(problems.ToString().TrimEnd(), "options");
        }
    }
}
