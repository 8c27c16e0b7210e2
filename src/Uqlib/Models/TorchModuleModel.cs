using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Models;

/// <summary>A TorchSharp module as a model, run in evaluation mode and inference mode (no gradients), with features taken from a named layer by a forward hook.</summary>
/// <remarks>
/// The module is not changed: evaluation mode is set for each forward pass and the previous mode restored; the hook lives only
/// during the pass. Hooks fire when a layer is invoked with <c>call</c>, TorchSharp's convention. The caller keeps ownership of the module.
/// The outputs are inference tensors (<c>torch.inference_mode</c>): change them in place only inside inference mode, or clone them.
/// Not thread-safe: one forward pass at a time.
/// The model is a white box (<see cref="Requirements.WhiteBoxNetwork"/>): estimators that need input gradients (ODIN) or stochastic
/// dropout layers (<see cref="Ensembles.McDropoutEstimator"/>) accept it, and so do those that read several named layers in one pass
/// (<see cref="Latent.MultiLayerMahalanobisEstimator"/>, one forward hook per layer).
/// </remarks>
public sealed class TorchModuleModel : IModel, IWhiteBoxModel
{
    private readonly nn.Module<Tensor, Tensor> module;
    private readonly nn.Module<Tensor, Tensor>? featureLayer;
    private readonly ModelOptions options;

    /// <summary>Initializes a new instance of the <see cref="TorchModuleModel"/> class.</summary>
    /// <param name="module">The trained module.</param>
    /// <param name="outputKind">How the module's output becomes probabilities.</param>
    /// <param name="featureLayer">The name of the submodule whose output is the latent feature (as in <c>named_modules()</c>, e.g. <c>"fc1"</c> or <c>"encoder.pool"</c>), or <see langword="null"/> for no features.</param>
    /// <param name="options">Chunking and device options, or <see langword="null"/> for <see cref="ModelOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">No submodule has the name <paramref name="featureLayer"/>, it does not map a tensor to a tensor, or an option is out of range.</exception>
    public TorchModuleModel(nn.Module<Tensor, Tensor> module, OutputKind outputKind, string? featureLayer = null, ModelOptions? options = null)
    {
        this.module = Preconditions.NotNull(module, nameof(module));
        if (!Enum.IsDefined(outputKind))
        {
            throw new ArgumentOutOfRangeException(nameof(outputKind), outputKind, "outputKind must be a defined OutputKind.");
        }

        this.options = options ?? ModelOptions.Default;
        this.options.Validate();
        OutputKind = outputKind;
        if (featureLayer is not null)
        {
            this.featureLayer = FindLayer(module, featureLayer, nameof(featureLayer));
        }
    }

    /// <inheritdoc />
    public OutputKind OutputKind { get; }

    /// <inheritdoc />
    ModelOptions IWhiteBoxModel.Options => options;

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="inputs"/> is empty or has rank 0.</exception>
    /// <exception cref="InvalidOperationException">
    /// The module failed in native code (e.g. inputs of a shape or dtype its layers do not take; the message names the input shape and dtype
    /// and the first line of the native error), returned a tensor whose dimension 0 is not the batch, or the feature layer did not run.
    /// </exception>
    public ModelOutput Forward(Tensor inputs)
    {
        var wasTraining = module.training;
        module.eval();
        try
        {
            return ModelRunner.Run(inputs, options, nameof(TorchModuleModel), ForwardOnce);
        }
        finally
        {
            module.train(wasTraining);
        }
    }

    /// <inheritdoc />
    Tensor IWhiteBoxModel.DifferentiableLogits(Tensor inputs)
    {
        var wasTraining = module.training;
        module.eval();
        try
        {
            return module.call(inputs);
        }
        finally
        {
            module.train(wasTraining);
        }
    }

    /// <inheritdoc />
    void IWhiteBoxModel.CheckLayers(IReadOnlyList<string> layers, string parameter)
    {
        foreach (var layer in layers)
        {
            FindLayer(module, layer, parameter);
        }
    }

    /// <inheritdoc />
    (ModelOutput Output, long[] Widths) IWhiteBoxModel.ForwardLayers(Tensor inputs, IReadOnlyList<string> layers, bool globalAveragePooling)
    {
        var modules = new nn.Module<Tensor, Tensor>[layers.Count];
        for (var l = 0; l < layers.Count; l++)
        {
            modules[l] = FindLayer(module, layers[l], nameof(layers));
        }

        var wasTraining = module.training;
        module.eval();
        try
        {
            return WhiteBoxModels.RunLayers(inputs, options, nameof(TorchModuleModel), layers, globalAveragePooling, chunk => ForwardCapturing(chunk, modules));
        }
        finally
        {
            module.train(wasTraining);
        }
    }

    /// <summary>The module's dropout layers (<c>Dropout</c>, <c>Dropout1d/2d/3d</c>, <c>AlphaDropout</c>, <c>FeatureAlphaDropout</c>), by name.</summary>
    internal IReadOnlyList<(string Name, nn.Module Layer)> DropoutLayers()
    {
        var layers = new List<(string, nn.Module)>();
        foreach (var (name, layer) in module.named_modules())
        {
            if (Ensembles.DropoutMasks.IsDropout(layer))
            {
                layers.Add((name, layer));
            }
        }

        return layers;
    }

    /// <summary>
    /// Runs <see cref="Forward"/> (evaluation mode, chunked, inference mode) with a forward hook on each given layer that replaces the
    /// layer's output by <paramref name="replace"/>(layer, output); the hooks live only during the call.
    /// </summary>
    internal ModelOutput ForwardReplacing(Tensor inputs, IReadOnlyList<(string Name, nn.Module Layer)> layers, Func<nn.Module, Tensor, Tensor?> replace)
    {
        var removers = new List<Action>();
        try
        {
            foreach (var (_, layer) in layers)
            {
                var module = (nn.Module<Tensor, Tensor>)layer;
                var hook = module.register_forward_hook((m, _, output) => replace(m, output)!);
                removers.Add(hook.remove);
            }

            return Forward(inputs);
        }
        finally
        {
            foreach (var remove in removers)
            {
                remove();
            }
        }
    }

    private (Tensor Logits, Tensor? Features) ForwardOnce(Tensor inputs)
    {
        if (featureLayer is null)
        {
            return (module.call(inputs), null);
        }

        Tensor? captured = null;
        var hook = featureLayer.register_forward_hook((_, _, output) =>
        {
            captured?.Dispose();
            captured = output.alias().DetachFromDisposeScope();
            return null!;
        });
        Tensor logits;
        try
        {
            logits = module.call(inputs);
        }
        catch
        {
            captured?.Dispose();
            throw;
        }
        finally
        {
            hook.remove();
        }

        if (captured is null)
        {
            logits.Dispose();
            throw new InvalidOperationException(
                "The feature layer did not run during the forward pass: it must be invoked with call(), not forward().");
        }

        return (logits, captured);
    }

    /// <summary>One pass with a forward hook on each layer keeping its output (the last call's, where a layer runs twice).</summary>
    private (Tensor Logits, Tensor?[] Layers) ForwardCapturing(Tensor inputs, nn.Module<Tensor, Tensor>[] layers)
    {
        var captured = new Tensor?[layers.Length];
        var removers = new List<Action>(layers.Length);
        try
        {
            for (var l = 0; l < layers.Length; l++)
            {
                var index = l;
                var hook = layers[l].register_forward_hook((_, _, output) =>
                {
                    captured[index] = output.alias();
                    return null!;
                });
                removers.Add(hook.remove);
            }

            return (module.call(inputs), captured);
        }
        finally
        {
            foreach (var remove in removers)
            {
                remove();
            }
        }
    }

    private static nn.Module<Tensor, Tensor> FindLayer(nn.Module<Tensor, Tensor> module, string name, string parameter)
    {
        var names = new List<string>();
        foreach (var (layerName, layer) in module.named_modules())
        {
            if (layerName.Length == 0)
            {
                continue;
            }

            if (layerName == name)
            {
                return layer as nn.Module<Tensor, Tensor> ?? throw new ArgumentException(
                    $"{parameter} '{name}' must be a module mapping a tensor to a tensor; found {layer.GetType().Name}.", parameter);
            }

            names.Add(layerName);
        }

        throw new ArgumentException(
            $"{parameter} '{name}' is not a submodule; the submodules are: {string.Join(", ", names)}.", parameter);
    }
}
