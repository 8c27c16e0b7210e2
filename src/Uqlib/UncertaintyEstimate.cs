using System;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>An estimator's answer for a batch: the (possibly calibrated) probabilities, one score per sample and an optional map. Owns its tensors.</summary>
/// <remarks>Every score is oriented so that higher means more uncertain.</remarks>
public sealed class UncertaintyEstimate : IDisposable
{
    private readonly Tensor probabilities;
    private readonly Tensor scores;
    private readonly Tensor? map;
    private bool disposed;

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

        this.probabilities = probabilities;
        this.scores = scores;
        this.map = map;
    }

    /// <summary>Gets the class probabilities <c>(N, C[, …])</c> (for regression, the predicted values).</summary>
    /// <exception cref="ObjectDisposedException">The estimate has been disposed.</exception>
    public Tensor Probabilities
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return probabilities;
        }
    }

    /// <summary>Gets one score per sample, <c>(N)</c>; higher means more uncertain.</summary>
    /// <exception cref="ObjectDisposedException">The estimate has been disposed.</exception>
    public Tensor Scores
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return scores;
        }
    }

    /// <summary>Gets the per-pixel or per-voxel uncertainty map, or <see langword="null"/>.</summary>
    /// <exception cref="ObjectDisposedException">The estimate has been disposed.</exception>
    public Tensor? Map
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return map;
        }
    }

    /// <summary>Gets the number of samples.</summary>
    /// <exception cref="ObjectDisposedException">The estimate has been disposed.</exception>
    public long Count
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return scores.shape[0];
        }
    }

    /// <summary>Disposes the tensors; later calls do nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        probabilities.Dispose();
        scores.Dispose();
        map?.Dispose();
    }
}
