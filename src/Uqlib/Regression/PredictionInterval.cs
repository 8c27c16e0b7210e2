using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Regression;

/// <summary>Prediction intervals [lower, upper] per target, <c>(N)</c> or <c>(N, D)</c>.</summary>
/// <remarks>Owns its two tensors: dispose it when done. Not thread-safe to dispose while in use.</remarks>
public sealed class PredictionInterval : IDisposable
{
    internal PredictionInterval(Tensor lower, Tensor upper)
    {
        Lower = lower;
        Upper = upper;
    }

    /// <summary>Gets the lower bounds.</summary>
    public Tensor Lower { get; }

    /// <summary>Gets the upper bounds, of the shape of <see cref="Lower"/>, never below them.</summary>
    public Tensor Upper { get; }

    /// <summary>The share of targets inside their intervals, bounds included.</summary>
    /// <param name="targets">The observed targets, of the shape of <see cref="Lower"/>. Not disposed.</param>
    /// <returns>The empirical coverage, in [0, 1].</returns>
    /// <exception cref="ArgumentNullException"><paramref name="targets"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The targets hold NaN or infinite values or their shape differs from the intervals'.</exception>
    public double Coverage(Tensor targets)
    {
        Preconditions.SameShape(Lower, "intervals", targets, nameof(targets));
        Preconditions.RegressionValues(targets, nameof(targets));
        using var scope = torch.NewDisposeScope();
        return targets.ge(Lower).logical_and_(targets.le(Upper)).to(ScalarType.Float64).mean().ToDouble();
    }

    /// <summary>The mean interval width, upper − lower, over all values.</summary>
    /// <returns>The mean width, ≥ 0, in the targets' unit.</returns>
    public double MeanWidth()
    {
        using var scope = torch.NewDisposeScope();
        return Upper.to(ScalarType.Float64).sub(Lower.to(ScalarType.Float64)).mean().ToDouble();
    }

    /// <summary>Disposes the two bound tensors.</summary>
    public void Dispose()
    {
        Lower.Dispose();
        Upper.Dispose();
    }
}
