using System;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>What a model returns for one batch: its logits and, where available, its latent features. Owns both tensors.</summary>
public sealed class ModelOutput : IDisposable
{
    private readonly Tensor logits;
    private readonly Tensor? features;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="ModelOutput"/> class, taking ownership of both tensors.</summary>
    /// <param name="logits">The raw outputs, samples along dimension 0.</param>
    /// <param name="features">Latent features <c>(N, F[, …])</c>, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="logits"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features do not have as many samples as the logits.</exception>
    public ModelOutput(Tensor logits, Tensor? features = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (features is not null && logits.dim() > 0 && features.dim() > 0)
        {
            Preconditions.SameLength(logits, nameof(logits), features, nameof(features));
        }

        this.logits = logits;
        this.features = features;
    }

    /// <summary>Gets the raw outputs (logits, probabilities or regression values, as the model's <see cref="OutputKind"/> says).</summary>
    /// <exception cref="ObjectDisposedException">The output has been disposed.</exception>
    public Tensor Logits
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return logits;
        }
    }

    /// <summary>Gets the latent features, or <see langword="null"/> when the model does not expose them.</summary>
    /// <exception cref="ObjectDisposedException">The output has been disposed.</exception>
    public Tensor? Features
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return features;
        }
    }

    /// <summary>Disposes both tensors; later calls do nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        logits.Dispose();
        features?.Dispose();
    }
}
