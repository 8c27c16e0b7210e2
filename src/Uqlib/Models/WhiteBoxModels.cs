using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp;
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

    /// <summary>
    /// Runs <paramref name="forward"/> through <see cref="ModelRunner.Run"/> (inference mode, chunks, device, native errors named) with each
    /// chunk's layer outputs pooled by <see cref="Pool"/> and concatenated as the features; returns the output and each layer's width.
    /// </summary>
    /// <param name="inputs">The inputs, on any device.</param>
    /// <param name="options">The model's chunking and device options.</param>
    /// <param name="model">The model's description, for messages.</param>
    /// <param name="layers">The layer names, for messages.</param>
    /// <param name="globalAveragePooling">Whether feature maps are averaged over space; otherwise they are flattened.</param>
    /// <param name="forward">One chunk's pass: the logits and each named layer's output, <see langword="null"/> where a layer did not run.</param>
    public static (ModelOutput Output, long[] Widths) RunLayers(
        Tensor inputs, ModelOptions options, string model, IReadOnlyList<string> layers, bool globalAveragePooling, Func<Tensor, (Tensor Logits, Tensor?[] Layers)> forward)
    {
        long[]? widths = null;
        var output = ModelRunner.Run(inputs, options, model, chunk =>
        {
            var (logits, outputs) = forward(chunk);
            var pooled = new Tensor[outputs.Length];
            var chunkWidths = new long[outputs.Length];
            for (var l = 0; l < outputs.Length; l++)
            {
                var layerOutput = outputs[l] ?? throw new InvalidOperationException(
                    $"{model}: the layer '{layers[l]}' did not run during the forward pass (a TorchSharp layer must be invoked with call(), not forward()).");
                pooled[l] = Pool(layerOutput, globalAveragePooling, layers[l], model, chunk.shape[0]);
                chunkWidths[l] = pooled[l].shape[1];
            }

            if (widths is not null && !widths.AsSpan().SequenceEqual(chunkWidths))
            {
                throw new InvalidOperationException($"{model}: the layers' widths changed between chunks of one input.");
            }

            widths = chunkWidths;
            return (logits, torch.cat(pooled, 1));
        });
        return (output, widths!);
    }

    /// <summary>
    /// A layer's output as <c>(N, C)</c>, as Lee et al. 2018 pool each layer: rank 2 as it is, a feature map <c>(N, C, …)</c> averaged over
    /// its spatial dimensions (or flattened when <paramref name="globalAveragePooling"/> is <see langword="false"/>). A new tensor or an alias.
    /// </summary>
    public static Tensor Pool(Tensor output, bool globalAveragePooling, string layer, string model, long rows)
    {
        if (output.dim() < 2 || output.shape[0] != rows)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{model}: the layer '{layer}' returned shape {Preconditions.ShapeText(output)} for a batch of {rows}; a layer's features must be (N, C) or (N, C, H, W[, D])."));
        }

        if (output.dim() == 2)
        {
            return output.alias();
        }

        return globalAveragePooling ? output.flatten(2).mean(new long[] { 2 }) : output.flatten(1);
    }
}
