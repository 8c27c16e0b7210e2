using static TorchSharp.torch;

namespace Uqlib.Models;

/// <summary>
/// A model whose network Uqlib can reach (<see cref="Requirements.WhiteBoxNetwork"/>): a TorchSharp module or a TorchScript module,
/// whose input gradients can be taken. Delegate and ONNX models are black boxes and do not implement it.
/// </summary>
internal interface IWhiteBoxModel : IModel
{
    /// <summary>Gets the options the model runs with (device, chunk size).</summary>
    ModelOptions Options { get; }

    /// <summary>
    /// Runs the network in evaluation mode on <paramref name="inputs"/> (already on the model's device) and returns its logits with
    /// the autograd graph kept; the caller has left inference mode and enabled gradients, and disposes the result.
    /// </summary>
    Tensor DifferentiableLogits(Tensor inputs);
}
