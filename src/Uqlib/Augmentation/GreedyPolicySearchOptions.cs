using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Uqlib.Augmentation;

/// <summary>Options of <see cref="GreedyPolicySearch"/>.</summary>
public sealed record GreedyPolicySearchOptions
{
    /// <summary>Gets the default options: 20 steps, calibrated log-likelihood, no early stop, no held-out check.</summary>
    public static GreedyPolicySearchOptions Default { get; } = new();

    /// <summary>Gets the number of greedy steps, i.e. the number of sub-policies in the result, counted with multiplicity.</summary>
    /// <value>The default value is 20 (the authors' ImageNet setting; they use 100 on CIFAR).</value>
    public int Steps { get; init; } = 20;

    /// <summary>Gets the selection criterion.</summary>
    /// <value>The default value is <see cref="PolicySearchCriterion.CalibratedLogLikelihood"/>.</value>
    public PolicySearchCriterion Criterion { get; init; } = PolicySearchCriterion.CalibratedLogLikelihood;

    /// <summary>
    /// Gets the early-stop threshold: from step 2 on, the search stops (without taking the step) when the best candidate would raise
    /// the criterion by less than this.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: always run <see cref="Steps"/> steps.</value>
    public double? MinimumGain { get; init; }

    /// <summary>
    /// Gets a value indicating whether to run the authors' 2-fold check: the search sees a seeded random half of the samples and each step
    /// also reports the calibrated log-likelihood on the other half.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: the search uses every sample.</value>
    public bool HeldOutCheck { get; init; }

    /// <summary>Gets the seed of the random split used by <see cref="HeldOutCheck"/>.</summary>
    /// <value>The default value is 0.</value>
    public long Seed { get; init; }

    /// <summary>Gets an optional logger: each step (candidate taken, temperature, criterion) at <see cref="LogLevel.Information"/>, and an
    /// early stop with the gain that fell short at <see cref="LogLevel.Information"/>. Never required; it does not change the result.</summary>
    /// <value>The default value is <see langword="null"/>: nothing is logged.</value>
    public ILogger? Logger { get; init; }

    /// <summary>Gets the smallest temperature considered.</summary>
    /// <value>The default value is 0.01.</value>
    public double MinTemperature { get; init; } = 0.01;

    /// <summary>Gets the largest temperature considered.</summary>
    /// <value>The default value is 100.</value>
    public double MaxTemperature { get; init; } = 100;

    /// <summary>Gets the largest number of cached values (candidates × samples × classes) processed at once; it bounds working memory. From 1 to 2³¹.</summary>
    /// <value>The default value is 1,048,576 (about 8 MB per float64 temporary).</value>
    public long ChunkElements { get; init; } = 1L << 20;

    /// <summary>Checks every option and reports all problems in one exception.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message lists every problem.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Steps < 1 || Steps > Preconditions.MaxCount)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Steps must be in [1, {Preconditions.MaxCount}]; found {Steps}."));
        }

        if (!Enum.IsDefined(Criterion))
        {
            problems.Add($"Criterion must be one of {string.Join(", ", Enum.GetNames<PolicySearchCriterion>())}; found {(int)Criterion}.");
        }

        if (MinimumGain is { } gain && !double.IsFinite(gain))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MinimumGain must be finite or null; found {gain}."));
        }

        if (!double.IsFinite(MinTemperature) || MinTemperature <= 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MinTemperature must be a finite number greater than 0; found {MinTemperature}."));
        }

        if (!double.IsFinite(MaxTemperature) || !(MaxTemperature > MinTemperature))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MaxTemperature must be finite and greater than MinTemperature ({MinTemperature}); found {MaxTemperature}."));
        }

        if (ChunkElements < 1 || ChunkElements > Preconditions.MaxChunkElements)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"ChunkElements must be in [1, {Preconditions.MaxChunkElements}]; found {ChunkElements}."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid GreedyPolicySearchOptions: " + string.Join(" ", problems), "options");
        }
    }
}
