using System;
using static TorchSharp.torch;

namespace Uqlib.Calibration;

/// <summary>A fitted post-hoc calibration map from a classifier's logits to calibrated class probabilities.</summary>
/// <remarks>
/// Calibrators are immutable values made by each type's static <c>Fit(logits, labels)</c> and restored by its static <c>Load(path)</c>;
/// nothing unfitted exists. Implementations are thread-safe.
/// </remarks>
public interface ICalibrator
{
    /// <summary>Gets the number of classes the calibrator was fitted on (2 for a binary single-logit model).</summary>
    int Classes { get; }

    /// <summary>Maps logits to calibrated probabilities.</summary>
    /// <param name="logits">Class logits <c>(N, C)</c>, or a binary model's single logit <c>(N)</c> or <c>(N, 1)</c>; not disposed.</param>
    /// <returns>Calibrated probabilities <c>(N, C)</c> (<c>(N, 2)</c> for binary input, column 1 positive) in float64; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="logits"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The logits are empty, of the wrong rank or class count, hold NaN or infinite values, or hold probabilities (every value in [0, 1], every row summing to 1) rather than logits.</exception>
    Tensor Transform(Tensor logits);

    /// <summary>Saves the calibrator to a file (one checksummed format, written atomically) that the type's <c>Load</c> reads back exactly.</summary>
    /// <param name="path">The file to write; it is replaced if it exists.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be written.</exception>
    void Save(string path);
}
