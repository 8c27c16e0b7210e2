using static TorchSharp.torch;

namespace Uqlib;

/// <summary>A trained model seen as a black box: a batch of inputs in, logits (and optionally features) out.</summary>
/// <remarks>Implementations must not dispose the caller's <c>inputs</c>; the returned <see cref="ModelOutput"/> belongs to the caller.</remarks>
public interface IModel
{
    /// <summary>Gets how the model's logits become probabilities.</summary>
    OutputKind OutputKind { get; }

    /// <summary>Runs the model on one batch, in inference mode.</summary>
    /// <param name="inputs">A batch with samples along dimension 0.</param>
    /// <returns>The logits, and the features where the model exposes them; the caller disposes it.</returns>
    ModelOutput Forward(Tensor inputs);
}
