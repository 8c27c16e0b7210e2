using System;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>One batch of inputs with optional labels. It does not own its tensors: whoever made them disposes them.</summary>
/// <param name="Inputs">Inputs with samples along dimension 0.</param>
/// <param name="Labels">Labels (class indices, masks or targets) with as many samples, or <see langword="null"/>.</param>
public sealed record Batch(Tensor Inputs, Tensor? Labels = null)
{
    /// <summary>Gets the inputs, samples along dimension 0.</summary>
    public Tensor Inputs { get; } = Inputs ?? throw new ArgumentNullException(nameof(Inputs));

    /// <summary>Gets the number of samples in the batch.</summary>
    public long Count => Inputs.shape.Length == 0 ? 1 : Inputs.shape[0];
}
