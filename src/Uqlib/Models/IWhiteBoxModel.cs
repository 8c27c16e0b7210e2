using System.Collections.Generic;
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

    /// <summary>
    /// Checks that every name in <paramref name="layers"/> is a layer <see cref="ForwardLayers"/> can take; an <see cref="System.ArgumentException"/>
    /// for <paramref name="parameter"/> names the first unknown one and lists the available ones.
    /// </summary>
    void CheckLayers(IReadOnlyList<string> layers, string parameter);

    /// <summary>
    /// Runs the network as <see cref="IModel.Forward"/> does (evaluation and inference mode, chunked) and takes the outputs of the named
    /// layers in the same pass, each pooled to <c>(N, C_l)</c> (see <see cref="WhiteBoxModels.Pool"/>) and concatenated along dimension 1 in
    /// the order given, as <see cref="ModelOutput.Features"/>; <c>Widths</c> holds the C_l. The caller disposes the output.
    /// </summary>
    (ModelOutput Output, long[] Widths) ForwardLayers(Tensor inputs, IReadOnlyList<string> layers, bool globalAveragePooling);
}
