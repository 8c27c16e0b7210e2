using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Uqlib.Persistence;

namespace Uqlib.Augmentation;

/// <summary>
/// The outcome of a greedy policy search: the selected candidates in the order they were added (with repetitions), the temperature of the
/// final policy and the per-step curve. <see cref="TtaPolicy.FromSearch"/> builds the policy by mapping each candidate index to its sub-policy.
/// </summary>
/// <remarks>
/// <para>
/// Lyzhov, Molchanova, Ashukha, Molchanov &amp; Vetrov 2020 (UAI), "Greedy Policy Search: A Simple Baseline for Learnable Test-Time
/// Augmentation". The policy's prediction is the mean of the selected candidates' probabilities, each counted as often as it was selected,
/// then temperature-scaled: softmax(log(mean π) / <see cref="Temperature"/>).
/// </para>
/// <para>Immutable and thread-safe. Saved to and loaded from a small versioned JSON file.</para>
/// </remarks>
public sealed class GreedyPolicySearchResult
{
    private const string Format = "Uqlib.GreedyPolicySearchResult";
    private const int Version = 1;

    private readonly int[] selected;
    private readonly GreedyPolicySearchStep[] steps;

    internal GreedyPolicySearchResult(int candidateCount, PolicySearchCriterion criterion, int searchSamples, bool stoppedEarly,
        int[] selected, GreedyPolicySearchStep[] steps)
    {
        CandidateCount = candidateCount;
        Criterion = criterion;
        SearchSamples = searchSamples;
        StoppedEarly = stoppedEarly;
        this.selected = selected;
        this.steps = steps;
    }

    /// <summary>Gets the number of candidates in the searched pool (the cache's first dimension).</summary>
    public int CandidateCount { get; }

    /// <summary>Gets the criterion that picked the candidates.</summary>
    public PolicySearchCriterion Criterion { get; }

    /// <summary>Gets the number of samples the search fitted on (half of them, rounded up, when the held-out check was on).</summary>
    public int SearchSamples { get; }

    /// <summary>Gets a value indicating whether the search stopped before its step budget because the gain fell below the threshold.</summary>
    public bool StoppedEarly { get; }

    /// <summary>Gets the selected candidate indices in the order they were added, with repetitions (one per step).</summary>
    public IReadOnlyList<int> SelectedCandidates => selected;

    /// <summary>Gets the per-step curve, one entry per selected candidate.</summary>
    public IReadOnlyList<GreedyPolicySearchStep> Steps => steps;

    /// <summary>Gets the temperature fitted for the final policy on the search samples.</summary>
    public double Temperature => steps[^1].Temperature;

    /// <summary>Gets how many times each candidate was selected.</summary>
    /// <returns>A new array of length <see cref="CandidateCount"/>; its sum is the number of steps taken.</returns>
    public int[] GetMultiplicities()
    {
        var counts = new int[CandidateCount];
        foreach (var candidate in selected)
        {
            counts[candidate]++;
        }

        return counts;
    }

    /// <summary>Saves the result to a small versioned JSON file.</summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        FittedFile.Write(path, Format, Version, writer =>
        {
            writer.WriteNumber("candidateCount", CandidateCount);
            writer.WriteString("criterion", Criterion.ToString());
            writer.WriteNumber("searchSamples", SearchSamples);
            writer.WriteBoolean("stoppedEarly", StoppedEarly);
            writer.WriteStartArray("steps");
            foreach (var step in steps)
            {
                writer.WriteStartObject();
                writer.WriteNumber("candidate", step.Candidate);
                writer.WriteNumber("temperature", step.Temperature);
                writer.WriteNumber("calibratedLogLikelihood", step.CalibratedLogLikelihood);
                writer.WriteNumber("logLikelihood", step.LogLikelihood);
                writer.WriteNumber("accuracy", step.Accuracy);
                writer.WriteNumber("ece", step.Ece);
                if (step.HeldOutCalibratedLogLikelihood is { } heldOut)
                {
                    writer.WriteNumber("heldOutCalibratedLogLikelihood", heldOut);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        });
    }

    /// <summary>Loads a result saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The result, equal field by field to the saved one.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a greedy-policy-search file, is of another version, truncated or corrupt, or holds inconsistent values (no steps, a
    /// candidate outside the pool, a temperature that is not positive).
    /// </exception>
    public static GreedyPolicySearchResult Load(string path)
    {
        var root = FittedFile.Read(path, Format, Version);
        var candidateCount = FittedFile.Int32(root, "candidateCount", path, Format);
        var criterionText = FittedFile.String(root, "criterion", path, Format);
        var searchSamples = FittedFile.Int32(root, "searchSamples", path, Format);
        if (!Enum.TryParse<PolicySearchCriterion>(criterionText, ignoreCase: false, out var criterion) || !Enum.IsDefined(criterion)
            || int.TryParse(criterionText, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            throw new InvalidDataException($"{path} is a corrupt {Format} file: criterion \"{criterionText}\" is not one of {string.Join(", ", Enum.GetNames<PolicySearchCriterion>())}.");
        }

        if (!root.TryGetProperty("stoppedEarly", out var stoppedElement) || stoppedElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw new InvalidDataException($"{path} is a corrupt {Format} file: field \"stoppedEarly\" is missing or not a boolean.");
        }

        if (!root.TryGetProperty("steps", out var stepsElement) || stepsElement.ValueKind != JsonValueKind.Array || stepsElement.GetArrayLength() == 0)
        {
            throw new InvalidDataException($"{path} is a corrupt {Format} file: field \"steps\" is missing or not a non-empty array.");
        }

        if (candidateCount < 1 || searchSamples < 1)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{path} is a corrupt {Format} file: candidateCount and searchSamples must be at least 1; found {candidateCount} and {searchSamples}."));
        }

        var steps = new List<GreedyPolicySearchStep>();
        foreach (var item in stepsElement.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path} is a corrupt {Format} file: steps item {steps.Count} is not an object.");
            }

            var candidate = FittedFile.Int32(item, "candidate", path, Format);
            var temperature = FittedFile.Double(item, "temperature", path, Format);
            if (candidate < 0 || candidate >= candidateCount || !(temperature > 0))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{path} is a corrupt {Format} file: steps item {steps.Count} has candidate {candidate} (pool of {candidateCount}) and temperature {temperature}."));
            }

            double? heldOut = item.TryGetProperty("heldOutCalibratedLogLikelihood", out _)
                ? FittedFile.Double(item, "heldOutCalibratedLogLikelihood", path, Format)
                : null;
            steps.Add(new GreedyPolicySearchStep
            {
                Step = steps.Count + 1,
                Candidate = candidate,
                Temperature = temperature,
                CalibratedLogLikelihood = FittedFile.Double(item, "calibratedLogLikelihood", path, Format),
                LogLikelihood = FittedFile.Double(item, "logLikelihood", path, Format),
                Accuracy = FittedFile.Double(item, "accuracy", path, Format),
                Ece = FittedFile.Double(item, "ece", path, Format),
                HeldOutCalibratedLogLikelihood = heldOut,
            });
        }

        var array = steps.ToArray();
        return new GreedyPolicySearchResult(candidateCount, criterion, searchSamples, stoppedElement.GetBoolean(),
            array.Select(s => s.Candidate).ToArray(), array);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture,
            $"GreedyPolicySearchResult({selected.Length} steps over {CandidateCount} candidates: [{string.Join(", ", selected)}], T = {Temperature})");
    }
}
