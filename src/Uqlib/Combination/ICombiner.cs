using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace Uqlib.Combination;

/// <summary>A fitted rule that merges the scores of several uncertainty methods into one score (higher = more uncertain).</summary>
/// <remarks>
/// Each implementation is created by its own static <c>Fit</c> on validation scores (by method name) and is immutable afterwards;
/// it saves to a file and its <c>Load</c> gives back a combiner with identical output.
/// </remarks>
public interface ICombiner
{
    /// <summary>Gets the method names the combiner was fitted on, in a fixed order; <see cref="Combine"/> needs exactly these.</summary>
    IReadOnlyList<string> Methods { get; }

    /// <summary>Combines per-method scores into one score per sample.</summary>
    /// <param name="scores">One score tensor <c>(N)</c> per method name, all of the same length, finite.</param>
    /// <returns>The combined scores <c>(N)</c>, float64, on the device of the inputs.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="scores"/> or one of its tensors is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A method is missing or unknown, a tensor is not of rank 1, is empty, holds NaN or ±∞, or the lengths differ.</exception>
    Tensor Combine(IReadOnlyDictionary<string, Tensor> scores);

    /// <summary>Saves the fitted combiner to a checksummed file, atomically (a failed save leaves an existing file unchanged).</summary>
    /// <param name="path">The file to write (overwritten).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be written.</exception>
    void Save(string path);
}
