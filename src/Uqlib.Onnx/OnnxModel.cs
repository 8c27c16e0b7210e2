using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Onnx;

/// <summary>An ONNX file (e.g. exported from PyTorch with <c>torch.onnx.export</c>) run by ONNX Runtime as a model: one input, logits and optional features out.</summary>
/// <remarks>
/// A contiguous CPU input is handed to ONNX Runtime without copying; each output is copied once, in bulk, into a TorchSharp
/// tensor, which is moved to the input's device. A model with a fixed batch size runs in chunks of that size (the last
/// padded with zeros and the padding dropped from the outputs). Owns its ONNX Runtime session: dispose the model to free
/// it. <see cref="Forward"/> may be called from several threads at once.
/// </remarks>
public sealed class OnnxModel : IModel, IDisposable
{
    private readonly InferenceSession session;
    private readonly string source;
    private readonly NodeMetadata input;
    private readonly ScalarType inputType;
    private readonly string[] outputNames;
    private readonly int? maxBatchSize;
    private readonly string expectedInputs;
    private readonly OutputKind outputKind;
    private readonly string inputName;
    private readonly string logitsOutputName;
    private readonly string? featuresOutputName;
    private readonly int? fixedBatchSize;
    private bool disposed;

    private OnnxModel(InferenceSession session, string source, OutputKind outputKind, OnnxModelOptions options)
    {
        this.session = session;
        this.source = source;
        this.outputKind = outputKind;
        expectedInputs = string.Join("; ", session.InputMetadata.Select(p => OnnxTensors.Describe(p.Key, p.Value)));
        inputName = ChooseInput(options);
        input = session.InputMetadata[inputName];
        inputType = (input.IsTensor ? OnnxTensors.ToTorch(input.ElementDataType) : null)
            ?? throw new NotSupportedException($"The ONNX model {source} takes input {OnnxTensors.Describe(inputName, input)}, which is not a tensor of a type TorchSharp has.");
        (logitsOutputName, featuresOutputName) = ChooseOutputs(options);
        outputNames = featuresOutputName is null ? [logitsOutputName] : [logitsOutputName, featuresOutputName];
        fixedBatchSize = input.Dimensions.Length > 0 && input.Dimensions[0] > 0 ? input.Dimensions[0] : null;
        maxBatchSize = fixedBatchSize ?? options.MaxBatchSize;
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

    /// <summary>Gets the name of the model input each batch is fed to.</summary>
    /// <exception cref="ObjectDisposedException">The model has been disposed.</exception>
    public string InputName
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return inputName;
        }
    }

    /// <summary>Gets the name of the model output read as logits.</summary>
    /// <exception cref="ObjectDisposedException">The model has been disposed.</exception>
    public string LogitsOutputName
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return logitsOutputName;
        }
    }

    /// <summary>Gets the name of the model output read as features, or <see langword="null"/> when the model gives none.</summary>
    /// <exception cref="ObjectDisposedException">The model has been disposed.</exception>
    public string? FeaturesOutputName
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return featuresOutputName;
        }
    }

    /// <summary>Gets the batch size the model was exported with when it is fixed, or <see langword="null"/> when its batch axis is dynamic.</summary>
    /// <exception cref="ObjectDisposedException">The model has been disposed.</exception>
    public int? FixedBatchSize
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return fixedBatchSize;
        }
    }

    /// <summary>Gets the TorchSharp dtype the model's input needs (<see cref="ScalarType.Float32"/> or <see cref="ScalarType.Float16"/> for most models).</summary>
    /// <exception cref="ObjectDisposedException">The model has been disposed.</exception>
    public ScalarType InputType
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return inputType;
        }
    }

    /// <summary>Loads an ONNX file.</summary>
    /// <param name="path">The <c>.onnx</c> file.</param>
    /// <param name="outputKind">How the model's logits output becomes probabilities.</param>
    /// <param name="options">Input and output names, chunking, threads and execution provider; <see langword="null"/> for <see cref="OnnxModelOptions.Default"/>.</param>
    /// <returns>The model; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outputKind"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or a configured input or output name is not in the model, or a name cannot be discovered (the message lists the model's inputs and outputs).</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model ONNX Runtime can load.</exception>
    /// <exception cref="NotSupportedException">The CUDA execution provider was asked for but the ONNX Runtime native library in use has none, or the model's input or a chosen output is not a tensor of a type TorchSharp has.</exception>
    public static OnnxModel Load(string path, OutputKind outputKind, OnnxModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"The ONNX file '{full}' does not exist.", full);
        }

        return Create(sessionOptions => new InferenceSession(full, sessionOptions), $"'{full}'", outputKind, options);
    }

    /// <summary>Loads an ONNX model from bytes (e.g. an embedded resource).</summary>
    /// <param name="bytes">The content of an <c>.onnx</c> file.</param>
    /// <param name="outputKind">How the model's logits output becomes probabilities.</param>
    /// <param name="options">Input and output names, chunking, threads and execution provider; <see langword="null"/> for <see cref="OnnxModelOptions.Default"/>.</param>
    /// <returns>The model; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="bytes"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outputKind"/> is not a defined value.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or a configured input or output name is not in the model, or a name cannot be discovered (the message lists the model's inputs and outputs).</exception>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model ONNX Runtime can load.</exception>
    /// <exception cref="NotSupportedException">The CUDA execution provider was asked for but the ONNX Runtime native library in use has none, or the model's input or a chosen output is not a tensor of a type TorchSharp has.</exception>
    public static OnnxModel Load(byte[] bytes, OutputKind outputKind, OnnxModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Create(sessionOptions => new InferenceSession(bytes, sessionOptions), "from bytes", outputKind, options);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="inputs"/> has been disposed.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputs"/> has no samples, or its rank, a fixed dimension or its dtype differs from the model's input (the message names the model's expected inputs).</exception>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed, or an output's dimension 0 is not the batch.</exception>
    /// <exception cref="ObjectDisposedException">The model has been disposed.</exception>
    public ModelOutput Forward(Tensor inputs)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        CheckInputs(inputs);
        using var scope = torch.NewDisposeScope();
        var count = inputs.shape[0];
        var chunk = maxBatchSize ?? count;
        var cpu = inputs.device_type == DeviceType.CPU ? inputs.contiguous() : inputs.cpu().contiguous();
        (Tensor Logits, Tensor? Features) result;
        if ((fixedBatchSize is null && count <= chunk) || count == fixedBatchSize)
        {
            result = RunChunk(cpu, count);
        }
        else
        {
            var logits = new List<Tensor>();
            var features = new List<Tensor>();
            for (long start = 0; start < count; start += chunk)
            {
                var length = Math.Min(chunk, count - start);
                var slice = cpu.narrow(0, start, length);
                if (fixedBatchSize is not null && length < chunk)
                {
                    var padShape = (long[])slice.shape.Clone();
                    padShape[0] = chunk - length;
                    slice = torch.cat([slice, torch.zeros(padShape, dtype: slice.dtype)], 0);
                }

                var (chunkLogits, chunkFeatures) = RunChunk(slice.contiguous(), slice.shape[0]);
                logits.Add(chunkLogits.narrow(0, 0, length));
                if (chunkFeatures is not null)
                {
                    features.Add(chunkFeatures.narrow(0, 0, length));
                }
            }

            result = (torch.cat(logits, 0), features.Count == 0 ? null : torch.cat(features, 0));
        }

        var device = inputs.device;
        var outLogits = inputs.device_type == DeviceType.CPU ? result.Logits : result.Logits.to(device);
        var outFeatures = result.Features is null || inputs.device_type == DeviceType.CPU ? result.Features : result.Features.to(device);
        return new ModelOutput(outLogits.MoveToOuterDisposeScope(), outFeatures?.MoveToOuterDisposeScope());
    }

    /// <summary>Frees the ONNX Runtime session; later calls do nothing.</summary>
    /// <remarks>Do not dispose the model while a <see cref="Forward"/> call runs on another thread.</remarks>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        session.Dispose();
    }

    private static OnnxModel Create(Func<SessionOptions, InferenceSession> open, string source, OutputKind outputKind, OnnxModelOptions? options)
    {
        if (!Enum.IsDefined(outputKind))
        {
            throw new ArgumentOutOfRangeException(nameof(outputKind), outputKind, $"outputKind must be a defined OutputKind; found {outputKind}.");
        }

        options ??= OnnxModelOptions.Default;
        options.Validate();
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = options.IntraOpThreads };
        if (options.ExecutionProvider == OnnxExecutionProvider.Cuda)
        {
            try
            {
                sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
            }
            catch (Exception exception) when (exception is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                throw new NotSupportedException(
                    $"The CUDA execution provider is not available in the ONNX Runtime native library in use. To run on an NVIDIA GPU, reference "
                    + $"Microsoft.ML.OnnxRuntime.Gpu.Linux of the same version as Microsoft.ML.OnnxRuntime ({OrtEnv.Instance().GetVersionString()}) "
                    + "and exclude the CPU package's native library (<PackageReference Include=\"Microsoft.ML.OnnxRuntime\" ExcludeAssets=\"native\" />); "
                    + $"the machine also needs the CUDA 12 and cuDNN 9 libraries and a GPU. ONNX Runtime said: {exception.Message}",
                    exception);
            }
        }

        InferenceSession session;
        try
        {
            session = open(sessionOptions);
        }
        catch (OnnxRuntimeException exception)
        {
            throw new InvalidDataException($"The file {source} is not an ONNX model ONNX Runtime can load: {exception.Message}", exception);
        }

        try
        {
            return new OnnxModel(session, source, outputKind, options);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private string ChooseInput(OnnxModelOptions options)
    {
        if (options.InputName is not null)
        {
            if (!session.InputMetadata.ContainsKey(options.InputName))
            {
                throw new ArgumentException(
                    $"InputName '{options.InputName}' is not an input of the ONNX model {source}; its inputs are {expectedInputs}.", nameof(options));
            }

            return options.InputName;
        }

        if (session.InputMetadata.Count != 1)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"The ONNX model {source} has {session.InputMetadata.Count} inputs ({expectedInputs}); set OnnxModelOptions.InputName to the one the batch is fed to."),
                nameof(options));
        }

        return session.InputMetadata.Keys.First();
    }

    private (string Logits, string? Features) ChooseOutputs(OnnxModelOptions options)
    {
        var names = session.OutputNames;
        var outputs = string.Join("; ", session.OutputMetadata.Select(p => OnnxTensors.Describe(p.Key, p.Value)));
        foreach (var (name, what) in new[] { (options.LogitsOutputName, "LogitsOutputName"), (options.FeaturesOutputName, "FeaturesOutputName") })
        {
            if (name is not null && !session.OutputMetadata.ContainsKey(name))
            {
                throw new ArgumentException($"{what} '{name}' is not an output of the ONNX model {source}; its outputs are {outputs}.", nameof(options));
            }
        }

        if (options.LogitsOutputName is not null)
        {
            return (options.LogitsOutputName, options.FeaturesOutputName);
        }

        if (names.Count > 2)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"The ONNX model {source} has {names.Count} outputs ({outputs}); set OnnxModelOptions.LogitsOutputName (and FeaturesOutputName if wanted)."),
                nameof(options));
        }

        var logits = options.FeaturesOutputName is null ? names[0] : names.FirstOrDefault(n => n != options.FeaturesOutputName)
            ?? throw new ArgumentException(
                $"FeaturesOutputName '{options.FeaturesOutputName}' is the only output of the ONNX model {source}; it has no output left for the logits.", nameof(options));
        var features = options.FeaturesOutputName ?? (names.Count == 2 ? names[1] : null);
        CheckOutput(logits, outputs);
        if (features is not null)
        {
            CheckOutput(features, outputs);
        }

        return (logits, features);
    }

    private void CheckOutput(string name, string outputs)
    {
        var node = session.OutputMetadata[name];
        if (!node.IsTensor || OnnxTensors.ToTorch(node.ElementDataType) is null)
        {
            throw new NotSupportedException(
                $"Output '{name}' of the ONNX model {source} is not a numeric tensor, so it cannot be read as logits or features; its outputs are {outputs}.");
        }
    }

    private void CheckInputs(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.IsInvalid)
        {
            throw new ObjectDisposedException(nameof(inputs), "inputs has been disposed.");
        }

        var dims = input.Dimensions;
        if (inputs.dim() != dims.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"inputs must have rank {dims.Length} for the ONNX model {source}, which expects {expectedInputs}; found shape {OnnxTensors.ShapeText(inputs)}."),
                nameof(inputs));
        }

        if (inputs.dim() == 0 || inputs.shape[0] == 0)
        {
            throw new ArgumentException($"inputs is empty: it has no samples (shape {OnnxTensors.ShapeText(inputs)}).", nameof(inputs));
        }

        for (var i = 1; i < dims.Length; i++)
        {
            if (dims[i] > 0 && inputs.shape[i] != dims[i])
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"inputs has size {inputs.shape[i]} in dimension {i} but the ONNX model {source} expects {expectedInputs}; found shape {OnnxTensors.ShapeText(inputs)}."),
                    nameof(inputs));
            }
        }

        if (inputs.dtype != inputType)
        {
            throw new ArgumentException(
                $"inputs must have dtype {inputType} for the ONNX model {source}, which expects {expectedInputs}; found dtype {inputs.dtype} (convert with inputs.to({inputType}) if that is intended).",
                nameof(inputs));
        }

        var rowBytes = inputs.numel() / inputs.shape[0] * inputs.ElementSize;
        if (rowBytes * Math.Min(inputs.shape[0], maxBatchSize ?? inputs.shape[0]) > int.MaxValue)
        {
            throw new ArgumentException(
                "inputs is larger than 2 GiB per forward pass; set OnnxModelOptions.MaxBatchSize to run it in smaller chunks.", nameof(inputs));
        }
    }

    private (Tensor Logits, Tensor? Features) RunChunk(Tensor contiguousCpu, long batch)
    {
        using var value = OnnxTensors.Wrap(contiguousCpu, input.ElementDataType);
        IDisposableReadOnlyCollection<OrtValue> results;
        try
        {
            using var runOptions = new RunOptions();
            results = session.Run(runOptions, [inputName], [value], outputNames);
        }
        catch (OnnxRuntimeException exception)
        {
            throw new InvalidOperationException(
                $"The ONNX model {source} failed on inputs of shape {OnnxTensors.ShapeText(contiguousCpu)}; it expects {expectedInputs}: {exception.Message}",
                exception);
        }

        using (results)
        {
            var logits = OnnxTensors.ToTensor(results.ElementAt(0), logitsOutputName, source);
            CheckRows(logits, batch, logitsOutputName);
            Tensor? features = null;
            if (featuresOutputName is not null)
            {
                features = OnnxTensors.ToTensor(results.ElementAt(1), featuresOutputName, source);
                CheckRows(features, batch, featuresOutputName);
            }

            return (logits, features);
        }
    }

    private void CheckRows(Tensor output, long expected, string name)
    {
        if (output.dim() == 0 || output.shape[0] != expected)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The ONNX model {source} returned output '{name}' of shape {OnnxTensors.ShapeText(output)} for a batch of {expected} samples; dimension 0 must be the batch."));
        }
    }
}
