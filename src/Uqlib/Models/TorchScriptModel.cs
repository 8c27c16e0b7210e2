using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Models;

/// <summary>A TorchScript file (e.g. traced or scripted in PyTorch) as a model; its forward returns logits, or a tuple (logits, features) or (logits, f_1, …, f_K).</summary>
/// <remarks>
/// Owns the loaded script module: dispose the model to free it. Runs in inference mode (<c>torch.inference_mode</c>, no gradients): the
/// outputs are inference tensors, to be changed in place only inside inference mode, or cloned. Not thread-safe: one forward pass at a time.
/// The model is a white box (<see cref="Requirements.WhiteBoxNetwork"/>) for estimators that need input gradients (ODIN); MC dropout refuses it,
/// because a TorchScript module does not expose the types of its submodules and tracing bakes dropout's training flag into the graph.
/// A hook cannot reach inside a TorchScript graph, so estimators that take several layers (<see cref="Latent.MultiLayerMahalanobisEstimator"/>)
/// take them from the outputs: a forward returning (logits, f_1, …, f_K) names its layers <c>"output1"</c> … <c>"outputK"</c>.
/// </remarks>
public sealed class TorchScriptModel : IModel, IWhiteBoxModel, IDisposable
{
    private readonly jit.ScriptModule module;
    private readonly ModelOptions options;
    private readonly string source;
    private readonly OutputKind outputKind;
    private bool disposed;

    private TorchScriptModel(jit.ScriptModule module, OutputKind outputKind, ModelOptions? options, string source)
    {
        this.module = module;
        this.options = options ?? ModelOptions.Default;
        this.source = source;
        this.outputKind = outputKind;
        module.eval();
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The model has been disposed.</exception>
    public OutputKind OutputKind
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return outputKind;
        }
    }

    /// <inheritdoc />
    ModelOptions IWhiteBoxModel.Options => options;

    /// <summary>Loads a TorchScript file.</summary>
    /// <param name="path">The <c>.pt</c> file written by <c>torch.jit.save</c>.</param>
    /// <param name="outputKind">How the module's output becomes probabilities.</param>
    /// <param name="options">Chunking and device options; with a device, the module is loaded onto it. <see langword="null"/> for <see cref="ModelOptions.Default"/>.</param>
    /// <returns>The model; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a TorchScript module.</exception>
    public static TorchScriptModel Load(string path, OutputKind outputKind, ModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"The TorchScript file '{full}' does not exist.", full);
        }

        CheckKind(outputKind);
        (options ?? ModelOptions.Default).Validate();
        var device = options?.Device ?? torch.CPU;
        return new TorchScriptModel(Read(() => jit.load(full, device), full), outputKind, options, full);
    }

    /// <summary>Loads a TorchScript module from bytes (e.g. an embedded resource).</summary>
    /// <param name="bytes">The content of a file written by <c>torch.jit.save</c>.</param>
    /// <param name="outputKind">How the module's output becomes probabilities.</param>
    /// <param name="options">Chunking and device options, or <see langword="null"/> for <see cref="ModelOptions.Default"/>.</param>
    /// <returns>The model; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="bytes"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a TorchScript module.</exception>
    public static TorchScriptModel Load(byte[] bytes, OutputKind outputKind, ModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        CheckKind(outputKind);
        (options ?? ModelOptions.Default).Validate();
        var device = options?.Device ?? torch.CPU;
        return new TorchScriptModel(Read(() => jit.load(bytes, device), "the given bytes"), outputKind, options, "TorchScript bytes");
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="inputs"/> is empty or has rank 0.</exception>
    /// <exception cref="InvalidOperationException">The module failed, or returned something other than a tensor or a (logits, features) tuple, or a tensor whose dimension 0 is not the batch.</exception>
    /// <exception cref="ObjectDisposedException">The model has been disposed.</exception>
    public ModelOutput Forward(Tensor inputs)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return ModelRunner.Run(inputs, options, $"The TorchScript module {source}", ForwardOnce);
    }

    /// <inheritdoc />
    Tensor IWhiteBoxModel.DifferentiableLogits(Tensor inputs)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var (logits, features) = ForwardOnce(inputs);
        features?.Dispose();
        return logits;
    }

    /// <inheritdoc />
    void IWhiteBoxModel.CheckLayers(IReadOnlyList<string> layers, string parameter)
    {
        foreach (var layer in layers)
        {
            if (OutputIndex(layer) is null)
            {
                throw new ArgumentException(
                    $"{parameter} '{layer}' is not a layer of the TorchScript module {source}: its layers are the outputs after the logits, named output1, output2, … (a forward returning (logits, f_1, …, f_K)).",
                    parameter);
            }
        }
    }

    /// <inheritdoc />
    (ModelOutput Output, long[] Widths) IWhiteBoxModel.ForwardLayers(Tensor inputs, IReadOnlyList<string> layers, bool globalAveragePooling)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ((IWhiteBoxModel)this).CheckLayers(layers, nameof(layers));
        var model = $"The TorchScript module {source}";
        return WhiteBoxModels.RunLayers(inputs, options, model, layers, globalAveragePooling, chunk =>
        {
            var outputs = Outputs(module.forward(chunk));
            var taken = new Tensor?[layers.Count];
            for (var l = 0; l < layers.Count; l++)
            {
                var index = OutputIndex(layers[l])!.Value;
                if (index >= outputs.Length)
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"{model} has no layer '{layers[l]}': its forward returned {outputs.Length - 1} output(s) after the logits (output1 … output{outputs.Length - 1})."));
                }

                taken[l] = outputs[index];
            }

            return (outputs[0], taken);
        });
    }

    /// <summary>Frees the loaded script module; later calls do nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        module.Dispose();
    }

    private (Tensor Logits, Tensor? Features) ForwardOnce(Tensor inputs)
    {
        var result = module.forward(inputs);
        switch (result)
        {
            case Tensor logits:
                return (logits, null);
            case ValueTuple<Tensor, Tensor> pair:
                return (pair.Item1, pair.Item2);
            default:
                DisposeTensors(result);
                throw new InvalidOperationException(
                    $"The TorchScript module {source} must return a tensor of logits or a tuple (logits, features); it returned {result?.GetType().Name ?? "nothing"}.");
        }
    }

    /// <summary>The position of a layer named <c>"output{k}"</c> (k ≥ 1) in the forward's tuple, or <see langword="null"/> for another name.</summary>
    private static int? OutputIndex(string layer)
    {
        return layer.StartsWith("output", StringComparison.Ordinal)
            && int.TryParse(layer.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index >= 1
            ? index
            : null;
    }

    /// <summary>The tensors of a forward's result: a tensor, a tuple or a list of tensors; anything else is refused.</summary>
    private Tensor[] Outputs(object? result)
    {
        switch (result)
        {
            case Tensor tensor:
                return [tensor];
            case Tensor[] array:
                return array;
            case System.Runtime.CompilerServices.ITuple tuple:
                var tensors = new Tensor[tuple.Length];
                for (var i = 0; i < tuple.Length; i++)
                {
                    if (tuple[i] is not Tensor item)
                    {
                        DisposeTensors(result);
                        throw new InvalidOperationException(
                            string.Create(CultureInfo.InvariantCulture, $"The TorchScript module {source} returned a tuple whose item {i} is not a tensor."));
                    }

                    tensors[i] = item;
                }

                return tensors;
            default:
                DisposeTensors(result);
                throw new InvalidOperationException(
                    $"The TorchScript module {source} must return a tensor of logits or a tuple (logits, f_1, …, f_K); it returned {result?.GetType().Name ?? "nothing"}.");
        }
    }

    private static jit.ScriptModule Read(Func<jit.ScriptModule> load, string what)
    {
        try
        {
            return load();
        }
        catch (ExternalException exception)
        {
            throw new InvalidDataException($"{what} is not a TorchScript module: {ModelRunner.FirstLine(exception.Message)}", exception);
        }
    }

    private static void CheckKind(OutputKind outputKind)
    {
        if (!Enum.IsDefined(outputKind))
        {
            throw new ArgumentOutOfRangeException(nameof(outputKind), outputKind, "outputKind must be a defined OutputKind.");
        }
    }

    private static void DisposeTensors(object? result)
    {
        if (result is System.Runtime.CompilerServices.ITuple tuple)
        {
            for (var i = 0; i < tuple.Length; i++)
            {
                (tuple[i] as IDisposable)?.Dispose();
            }
        }
        else if (result is Tensor[] array)
        {
            foreach (var tensor in array)
            {
                tensor.Dispose();
            }
        }
    }
}
