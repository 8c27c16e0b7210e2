using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace Uqlib.Evaluation;

/// <summary>One out-of-distribution set of an <see cref="OodEvaluator.Compare"/> table: its name, how far it lies from the in-distribution data, and each detector's scores on it.</summary>
/// <remarks>Holds the caller's tensors without copying or disposing them; the caller keeps them alive until the comparison returns.</remarks>
/// <param name="Name">The set's name, shown in the table (e.g. "other scanner", "chest X-rays").</param>
/// <param name="Shift">Whether the set is near or far OOD; the table averages each detector over the sets of each kind.</param>
/// <param name="Scores">Each detector's scores <c>(N_ood)</c> on the set, keyed by the detector's name as in the in-distribution scores.</param>
/// <exception cref="ArgumentNullException"><paramref name="Name"/> or <paramref name="Scores"/> is <see langword="null"/>.</exception>
/// <exception cref="ArgumentException"><paramref name="Name"/> is blank, or <paramref name="Shift"/> is not a defined <see cref="OodShift"/>.</exception>
public sealed record OodSet(string Name, OodShift Shift, IReadOnlyDictionary<string, Tensor> Scores)
{
    /// <summary>Gets the set's name.</summary>
    public string Name { get; init; } = string.IsNullOrWhiteSpace(Preconditions.NotNull(Name, nameof(Name)))
        ? throw new ArgumentException("Name is blank; an OOD set needs a name for the table.", nameof(Name))
        : Name;

    /// <summary>Gets whether the set is near or far OOD.</summary>
    public OodShift Shift { get; init; } = Enum.IsDefined(Shift) ? Shift
        : throw new ArgumentException($"Shift must be a defined OodShift; found {Shift}.", nameof(Shift));

    /// <summary>Gets each detector's scores on the set.</summary>
    public IReadOnlyDictionary<string, Tensor> Scores { get; init; } = Preconditions.NotNull(Scores, nameof(Scores));
}
