using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// ASH, activation shaping: each sample's penultimate activations below its own p-th percentile are set to zero, the rest kept (ASH-P),
/// binarized (ASH-B) or scaled (ASH-S), and the energy of the final linear layer's logits is the score. Needs no fitting. Immutable: it
/// owns a copy of the layer; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// <para>Djurisic, Bozanic, Ashok &amp; Liu 2023, "Extremely simple activation shaping for out-of-distribution detection" (ICLR), as
/// the authors' <c>ash.py</c>: with F units and k = F − round(F·p/100), the k largest activations of a row are kept (<c>torch.topk</c>),
/// the others set to 0; ASH-B sets the kept ones to s₁/k and ASH-S multiplies them by exp(s₁/s₂), s₁ and s₂ the row's sums before
/// and after pruning. score(x) = −logsumexp(W a(x) + b), the negative energy: higher is more OOD. Computed in float64.</para>
/// <para>The paper applies ASH to the penultimate activations (after global pooling, before the final linear layer), which are
/// non-negative after a ReLU; the features here are those activations, so the detector runs on features computed anywhere (for a
/// TorchSharp module, a <see cref="Models.TorchModuleModel"/> whose <c>featureLayer</c> is the layer before the final one). A row of
/// ASH-S whose kept activations sum to 0 is left unscaled (the authors' code divides 0 by 0 there). Ties at the k-th largest value are
/// broken as <c>torch.topk</c> breaks them, which changes ASH-B where tied values straddle the cut. Thread-safe for reading.</para>
/// </remarks>
public sealed class AshDetector : IDisposable
{
    private readonly LinearHead head;
    private readonly AshOptions options;
    private readonly long kept;

    private AshDetector(LinearHead head, AshOptions options)
    {
        this.head = head;
        this.options = options;
        kept = options.KeptFor(head.Dimension);
    }

    /// <summary>Gets the options.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public AshOptions Options => head.Guard(this, options);

    /// <summary>Gets the number k of activations each row keeps.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Kept => head.Guard(this, kept);

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension => head.Guard(this, head.Dimension);

    /// <summary>Creates the detector from the final linear layer.</summary>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>, finite; copied.</param>
    /// <param name="bias">Its bias <c>(C)</c>, or <see langword="null"/> for none; copied.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="AshOptions.Default"/>.</param>
    /// <returns>The detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The weight or bias is empty, of the wrong shape or not finite, or an option is out of range.</exception>
    public static AshDetector Create(Tensor weight, Tensor? bias = null, AshOptions? options = null)
    {
        options ??= AshOptions.Default;
        options.Validate();
        return new AshDetector(LinearHead.Create(weight, bias), options);
    }

    /// <summary>The shaped activations a(x).</summary>
    /// <param name="features">Penultimate activations <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>The shaped activations <c>(N, F)</c>, float64.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the layer, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Shape(Tensor features)
    {
        head.ThrowIfDisposed(this);
        head.CheckFeatures(features);
        return ShapeCore(features);
    }

    /// <summary>The ASH score −logsumexp(W a(x) + b).</summary>
    /// <param name="features">Penultimate activations <c>(N, F)</c>, finite and normally non-negative; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64; higher is more OOD.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the layer, or not finite; or ASH-S
    /// scaled a row beyond the float64 range (negative activations can make s₁/s₂ huge).</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features)
    {
        head.ThrowIfDisposed(this);
        head.CheckShape(features);
        using var scope = torch.NewDisposeScope();
        var scores = head.ScoreRows(features, x => head.NegativeEnergy(ShapeCore(x)));
        if (!scores.isfinite().all().ToBoolean())
        {
            throw new ArgumentException(
                "features: ASH-S scaled a row beyond the float64 range; ASH expects non-negative (post-ReLU) activations.", nameof(features));
        }

        return scores.MoveToOuterDisposeScope();
    }

    /// <summary>Describes the detector, e.g. <c>AshDetector(variant=Scale, percentile=90, k=52 of 512)</c>.</summary>
    /// <returns>The description.</returns>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public override string ToString()
    {
        head.ThrowIfDisposed(this);
        return string.Create(CultureInfo.InvariantCulture,
            $"AshDetector(variant={Options.Variant}, percentile={Options.EffectivePercentile:G5}, k={Kept} of {head.Dimension})");
    }

    /// <inheritdoc />
    public void Dispose() => head.Dispose();

    private Tensor ShapeCore(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        var x = head.ToHead(features);
        var (values, indices) = x.topk(checked((int)kept), 1);
        var shaped = torch.zeros_like(x);
        switch (options.Variant)
        {
            case AshVariant.Prune:
                shaped.scatter_(1, indices, values);
                break;
            case AshVariant.Binarize:
                shaped.scatter_(1, indices, x.sum(1, keepdim: true).div_(kept).expand_as(values));
                break;
            default:
                var before = x.sum(1, keepdim: true);
                var after = values.sum(1, keepdim: true);
                var ratio = torch.where(after.ne(0), before.div(after), torch.zeros_like(after));
                shaped.scatter_(1, indices, values.mul(ratio.exp_()));
                break;
        }

        return shaped.MoveToOuterDisposeScope();
    }
}
