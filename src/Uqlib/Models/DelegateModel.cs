using System;
using static TorchSharp.torch;

namespace Uqlib.Models;

/// <summary>A model given as a function: the simplest way to wrap logits computed by any code.</summary>
/// <remarks>
/// The function receives inputs it must not dispose, and returns new tensors that the adapter takes over. It runs in inference mode
/// (<c>torch.inference_mode</c>, no gradients), inside a dispose scope that frees its temporaries when it returns: the outputs are
/// inference tensors, to be changed in place only inside inference mode, or cloned.
/// </remarks>
public sealed class DelegateModel : IModel
{
    private readonly Func<Tensor, (Tensor Logits, Tensor? Features)> forward;
    private readonly ModelOptions options;

    /// <summary>Initializes a new instance of the <see cref="DelegateModel"/> class from a function returning logits.</summary>
    /// <param name="forward">Maps a batch of inputs to logits.</param>
    /// <param name="outputKind">How the logits become probabilities.</param>
    /// <param name="options">Chunking and device options, or <see langword="null"/> for <see cref="ModelOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="forward"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public DelegateModel(Func<Tensor, Tensor> forward, OutputKind outputKind, ModelOptions? options = null)
        : this(outputKind, options, Wrap(forward))
    {
    }

    /// <summary>Initializes a new instance of the <see cref="DelegateModel"/> class from a function returning logits and features.</summary>
    /// <param name="forward">Maps a batch of inputs to logits and latent features.</param>
    /// <param name="outputKind">How the logits become probabilities.</param>
    /// <param name="options">Chunking and device options, or <see langword="null"/> for <see cref="ModelOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="forward"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public DelegateModel(Func<Tensor, (Tensor Logits, Tensor Features)> forward, OutputKind outputKind, ModelOptions? options = null)
        : this(outputKind, options, Wrap(forward))
    {
    }

    private DelegateModel(OutputKind outputKind, ModelOptions? options, Func<Tensor, (Tensor Logits, Tensor? Features)> forward)
    {
        if (!Enum.IsDefined(outputKind))
        {
            throw new ArgumentOutOfRangeException(nameof(outputKind), outputKind, "outputKind must be a defined OutputKind.");
        }

        this.forward = forward;
        this.options = options ?? ModelOptions.Default;
        this.options.Validate();
        OutputKind = outputKind;
    }

    /// <inheritdoc />
    public OutputKind OutputKind { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="inputs"/> is empty or has rank 0.</exception>
    /// <exception cref="InvalidOperationException">The function returned a tensor whose dimension 0 is not the batch.</exception>
    public ModelOutput Forward(Tensor inputs)
    {
        return ModelRunner.Run(inputs, options, nameof(DelegateModel), forward);
    }

    private static Func<Tensor, (Tensor Logits, Tensor? Features)> Wrap(Func<Tensor, Tensor> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        return inputs => (forward(inputs), null);
    }

    private static Func<Tensor, (Tensor Logits, Tensor? Features)> Wrap(Func<Tensor, (Tensor Logits, Tensor Features)> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        return inputs => forward(inputs);
    }
}
