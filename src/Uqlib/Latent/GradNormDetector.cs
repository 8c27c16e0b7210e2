using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// GradNorm: the L1 norm of the gradient, with respect to the final linear layer's weight, of the KL divergence between the uniform
/// distribution and the softmax output; in-distribution inputs have larger gradients, so the score is its negative. Needs no fitting.
/// Immutable: it owns a copy of the layer; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// <para>Huang, Geng &amp; Li 2021, "On the importance of gradients for detecting distributional shifts in the wild" (NeurIPS):
/// S(x) = ‖∂ KL(u ‖ softmax(f(x)/T)) / ∂W‖₁ with u uniform over the C classes and T = 1. For the final layer z = Wx + b the
/// gradient is (1/T)(p − u) xᵀ with p = softmax(z/T), an outer product, so its L1 norm is exactly (1/T)·‖p − u‖₁·‖x‖₁: the detector
/// computes that closed form in float64, one GEMM for all samples, instead of one backward pass per sample as the authors' code
/// (the golden test checks it against PyTorch autograd). score(x) = −S(x): higher is more OOD. The authors' code takes targets of
/// ones rather than 1/C, which multiplies S by C and leaves every ranking unchanged.</para>
/// <para>Only the features (the input of the final layer) and the layer's weight and bias are needed, so no gradient pass through the
/// network is required and the detector runs on features computed anywhere. Thread-safe for reading.</para>
/// </remarks>
public sealed class GradNormDetector : IDisposable
{
    private readonly LinearHead head;
    private readonly double temperature;

    private GradNormDetector(LinearHead head, double temperature)
    {
        this.head = head;
        this.temperature = temperature;
    }

    /// <summary>Gets the softmax temperature T.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public double Temperature => head.Guard(this, temperature);

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension => head.Guard(this, head.Dimension);

    /// <summary>Creates the detector from the final linear layer.</summary>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>, C ≥ 2, finite; copied.</param>
    /// <param name="bias">Its bias <c>(C)</c>, or <see langword="null"/> for none; copied.</param>
    /// <param name="temperature">The softmax temperature T, finite and in (0, 10⁶]; the paper's default 1.</param>
    /// <returns>The detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The weight or bias is empty, of the wrong shape or not finite, or the weight has one class.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not finite or out of range.</exception>
    public static GradNormDetector Create(Tensor weight, Tensor? bias = null, double temperature = 1.0)
    {
        Preconditions.Positive(temperature, nameof(temperature));
        Preconditions.InRange(temperature, nameof(temperature), 0, 1e6);
        Preconditions.Tensor(weight, nameof(weight), 2, 2);
        if (weight.shape[0] < 2)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"weight must have at least 2 rows (classes); found shape {Preconditions.ShapeText(weight)}."), nameof(weight));
        }

        return new GradNormDetector(LinearHead.Create(weight, bias), temperature);
    }

    /// <summary>The GradNorm S(x) = (1/T)·‖softmax(z/T) − u‖₁·‖x‖₁ of each sample.</summary>
    /// <param name="features">Penultimate activations <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Gradient norms <c>(N)</c>, float64, ≥ 0; higher is more in-distribution.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the layer, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor GradientNorms(Tensor features)
    {
        head.ThrowIfDisposed(this);
        head.CheckShape(features);
        return head.ScoreRows(features, Norms);
    }

    /// <summary>The GradNorm score −S(x).</summary>
    /// <param name="features">Penultimate activations <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64, ≤ 0; higher is more OOD.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the layer, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features)
    {
        head.ThrowIfDisposed(this);
        head.CheckShape(features);
        return head.ScoreRows(features, x => Norms(x).neg_());
    }

    /// <summary>Describes the detector, e.g. <c>GradNormDetector(T=1, classes=10, features=512)</c>.</summary>
    /// <returns>The description.</returns>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public override string ToString()
    {
        head.ThrowIfDisposed(this);
        return string.Create(CultureInfo.InvariantCulture, $"GradNormDetector(T={Temperature:G5}, classes={head.Weight.shape[0]}, features={head.Dimension})");
    }

    /// <inheritdoc />
    public void Dispose() => head.Dispose();

    /// <summary>S(x) of a float64 chunk <c>(B, F)</c> on the head's device, <c>(B)</c>.</summary>
    private Tensor Norms(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var p = head.LogitsTransposed(x).div_(temperature).softmax(0);
        var deviation = p.sub_(1.0 / head.Classes).abs_().sum(new long[] { 0 });
        return deviation.mul_(x.abs().sum(1)).div_(temperature).MoveToOuterDisposeScope();
    }
}
