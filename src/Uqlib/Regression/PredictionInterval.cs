using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Regression;

/// <summary>Prediction intervals [lower, upper] per target, <c>(N)</c> or <c>(N, D)</c>.</summary>
/// <remarks>Owns its two tensors: dispose it when done. Not thread-safe to dispose while in use.</remarks>
public sealed class PredictionInterval : IDisposable
{
    private readonly Tensor lower;
    private readonly Tensor upper;
    private bool disposed;

    internal PredictionInterval(Tensor lower, Tensor upper)
    {
        this.lower = lower;
        this.upper = upper;
    }

    /// <summary>Gets the lower bounds.</summary>
    /// <exception cref="ObjectDisposedException">The interval has been disposed.</exception>
    public Tensor Lower
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return lower;
        }
    }

    /// <summary>Gets the upper bounds, of the shape of <see cref="Lower"/>, never below them.</summary>
    /// <exception cref="ObjectDisposedException">The interval has been disposed.</exception>
    public Tensor Upper
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return upper;
        }
    }

    /// <summary>The share of targets inside their intervals, bounds included.</summary>
    /// <param name="targets">The observed targets, of the shape of <see cref="Lower"/>. Not disposed.</param>
    /// <returns>The empirical coverage, in [0, 1].</returns>
    /// <exception cref="ArgumentNullException"><paramref name="targets"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The targets hold NaN or infinite values or their shape differs from the intervals'.</exception>
    /// <exception cref="ObjectDisposedException">The interval has been disposed.</exception>
    public double Coverage(Tensor targets)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Preconditions.SameShape(lower, "intervals", targets, nameof(targets));
        Preconditions.RegressionValues(targets, nameof(targets));
        using var scope = torch.NewDisposeScope();
        return targets.ge(lower).logical_and_(targets.le(upper)).to(ScalarType.Float64).mean().ToDouble();
    }

    /// <summary>The mean interval width, upper − lower, over all values.</summary>
    /// <returns>The mean width, ≥ 0, in the targets' unit.</returns>
    /// <exception cref="ObjectDisposedException">The interval has been disposed.</exception>
    public double MeanWidth()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var scope = torch.NewDisposeScope();
        return upper.to(ScalarType.Float64).sub(lower.to(ScalarType.Float64)).mean().ToDouble();
    }

    /// <summary>Disposes the two bound tensors; later calls do nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        lower.Dispose();
        upper.Dispose();
    }
}
