using System;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Uqlib.Models;

/// <summary>Checks that an estimator that needs the network (<see cref="Requirements.WhiteBoxNetwork"/>) was given one, and runs its differentiable pass.</summary>
internal static class WhiteBoxModels
{
    /// <summary>The model as a white box, or an <see cref="ArgumentException"/> naming the requirement and the model's type.</summary>
    public static IWhiteBoxModel Require(IModel model, string estimator, string parameter)
    {
        ArgumentNullException.ThrowIfNull(model, parameter);
        return model as IWhiteBoxModel ?? throw new ArgumentException(
            $"{estimator} needs the network itself (Requirements.WhiteBoxNetwork): a TorchModuleModel or a TorchScriptModel; " +
            $"{parameter} is a {model.GetType().Name}, a black box whose gradients and layers are out of reach.",
            parameter);
    }

    /// <summary>Runs <see cref="IWhiteBoxModel.DifferentiableLogits"/>, turning a native failure into an <see cref="InvalidOperationException"/> naming the input.</summary>
    public static Tensor Logits(IWhiteBoxModel model, Tensor inputs, string estimator)
    {
        Tensor logits;
        try
        {
            logits = model.DifferentiableLogits(inputs);
        }
        catch (ExternalException exception)
        {
            throw new InvalidOperationException(
                $"{estimator}: the model failed on inputs of shape {Preconditions.ShapeText(inputs)} and dtype {inputs.dtype}: {ModelRunner.FirstLine(exception.Message)}",
                exception);
        }

        if (logits.dim() != 2 || logits.shape[0] != inputs.shape[0] || logits.shape[1] < 2)
        {
            var shape = Preconditions.ShapeText(logits);
            logits.Dispose();
            throw new InvalidOperationException(
                $"{estimator} needs logits of shape (N, C) with C ≥ 2 for a batch of {inputs.shape[0]}; the model returned shape {shape}.");
        }

        return logits;
    }
}
