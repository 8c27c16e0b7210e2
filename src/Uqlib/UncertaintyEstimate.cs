using System;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>An estimator's answer for a batch: the (possibly calibrated) probabilities, one score per sample and an optional map. Owns its tensors.</summary>
/// <remarks>Every score is oriented so that higher means more uncertain.</remarks>
public sealed class UncertaintyEstimate : IDisposable
{
    /// <summary>Initializes a new instance of the <see cref="UncertaintyEstimate"/> class, taking ownership of the tensors.</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C[, …])</c>, or the predicted values for a regression model.</param>
    /// <param name="scores">One uncertainty score per sample, <c>(N)</c>.</param>
    /// <param name="map">A per-pixel or per-voxel uncertainty map <c>(N, H, W[, D])</c>, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> or <paramref name="scores"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The scores are not of shape (N), or the tensors disagree on N.</exception>
    public UncertaintyEstimate(Tensor probabilities, Tensor scores, Tensor? map = null)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.dim() != 1)
        {
            throw new ArgumentException($"scores must have shape (N); found {Preconditions.ShapeText(scores)}.", nameof(scores));
        }

        Preconditions.SameLength(scores, nameof(scores), probabilities, nameof(probabilities));
        if (map is not null)
        {
            Preconditions.SameLength(scores, nameof(scores), map, nameof(map));
        }

        Probabilities = probabilities;
        Scores = scores;
        Map = map;
    }

    /// <summary>Gets the class probabilities <c>(N, C[, …])</c> (for regression, the predicted values).</summary>
    public Tensor Probabilities { get; }

    /// <summary>Gets one score per sample, <c>(N)</c>; higher means more uncertain.</summary>
    public Tensor Scores { get; }

    /// <summary>Gets the per-pixel or per-voxel uncertainty map, or <see langword="null"/>.</summary>
    public Tensor? Map { get; }

    /// <summary>Gets the number of samples.</summary>
    public long Count => Scores.shape[0];

    /// <inheritdoc />
    public void Dispose()
    {
        Probabilities.Dispose();
        Scores.Dispose();
        Map?.Dispose();
    }
}
