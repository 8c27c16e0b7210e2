using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
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
/// <para>Immutable and thread-safe. Saved to and loaded from a checksummed file, written atomically.</para>
/// </remarks>
public sealed class GreedyPolicySearchResult
{
    private const string Kind = "GreedyPolicySearchResult";
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
    public IReadOnlyList<int> SelectedCandidates => Array.AsReadOnly(selected);

    /// <summary>Gets the per-step curve, one entry per selected candidate.</summary>
    public IReadOnlyList<GreedyPolicySearchStep> Steps => Array.AsReadOnly(steps);

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

    /// <summary>Saves the result to a checksummed file, atomically (a failed save leaves an existing file unchanged).</summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Number("candidateCount", CandidateCount);
            writer.Enum("criterion", Criterion);
            writer.Number("searchSamples", SearchSamples);
            writer.Boolean("stoppedEarly", StoppedEarly);
            writer.Objects("steps", steps, (item, step) =>
            {
                item.Number("candidate", step.Candidate);
                item.Number("temperature", step.Temperature);
                item.Number("calibratedLogLikelihood", step.CalibratedLogLikelihood);
                item.Number("logLikelihood", step.LogLikelihood);
                item.Number("accuracy", step.Accuracy);
                item.Number("ece", step.Ece);
                if (step.HeldOutCalibratedLogLikelihood is { } heldOut)
                {
                    item.Number("heldOutCalibratedLogLikelihood", heldOut);
                }
            });
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
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var candidateCount = reader.Int32("candidateCount");
            var criterion = reader.Enum<PolicySearchCriterion>("criterion");
            var searchSamples = reader.Int32("searchSamples");
            var stoppedEarly = reader.Boolean("stoppedEarly");
            var items = reader.Objects("steps");
            if (items.Count == 0)
            {
                throw reader.Invalid("\"steps\" is empty");
            }

            if (candidateCount < 1 || searchSamples < 1)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"candidateCount and searchSamples must be at least 1; found {candidateCount} and {searchSamples}"));
            }

            var steps = new GreedyPolicySearchStep[items.Count];
            for (var i = 0; i < steps.Length; i++)
            {
                var item = items[i];
                var candidate = item.Int32("candidate");
                var temperature = item.Double("temperature");
                if (candidate < 0 || candidate >= candidateCount || !(temperature > 0))
                {
                    throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                        $"step {i} has candidate {candidate} (pool of {candidateCount}) and temperature {temperature}"));
                }

                steps[i] = new GreedyPolicySearchStep
                {
                    Step = i + 1,
                    Candidate = candidate,
                    Temperature = temperature,
                    CalibratedLogLikelihood = item.Double("calibratedLogLikelihood"),
                    LogLikelihood = item.Double("logLikelihood"),
                    Accuracy = item.Double("accuracy"),
                    Ece = item.Double("ece"),
                    HeldOutCalibratedLogLikelihood = item.Has("heldOutCalibratedLogLikelihood") ? item.Double("heldOutCalibratedLogLikelihood") : null,
                };
            }

            return new GreedyPolicySearchResult(candidateCount, criterion, searchSamples, stoppedEarly, steps.Select(s => s.Candidate).ToArray(), steps);
        });
    }

    /// <inheritdoc />
    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture,
            $"GreedyPolicySearchResult({selected.Length} steps over {CandidateCount} candidates: [{string.Join(", ", selected)}], T = {Temperature})");
    }
}
