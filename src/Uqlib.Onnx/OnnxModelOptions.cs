using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Onnx;

/// <summary>How an <see cref="OnnxModel"/> reads its model and runs it.</summary>
public sealed record OnnxModelOptions
{
    private const int MaxBatchLimit = 1 << 20;
    private const int MaxThreads = 1024;

    /// <summary>Gets the default options: names discovered from the model's metadata, whole batches, ONNX Runtime's threads, the CPU.</summary>
    public static OnnxModelOptions Default { get; } = new();

    /// <summary>Gets the name of the model input the batch is fed to.</summary>
    /// <value>The default value is <see langword="null"/>: the model's only input (a model with several inputs needs the name).</value>
    public string? InputName { get; init; }

    /// <summary>Gets the name of the model output holding the logits (or probabilities, or regression values).</summary>
    /// <value>The default value is <see langword="null"/>: the model's first output, when it has one or two outputs.</value>
    public string? LogitsOutputName { get; init; }

    /// <summary>Gets the name of the model output holding the latent features.</summary>
    /// <value>The default value is <see langword="null"/>: the model's second output when it has exactly two and the logits output is not configured, otherwise no features.</value>
    public string? FeaturesOutputName { get; init; }

    /// <summary>Gets the largest number of samples sent to a model with a dynamic batch axis at once; a larger input is split into chunks and the outputs concatenated; from 1 to 1,048,576.</summary>
    /// <value>The default value is <see langword="null"/>: no limit. A model with a fixed batch size is always run in chunks of that size.</value>
    public int? MaxBatchSize { get; init; }

    /// <summary>Gets the number of threads ONNX Runtime uses inside one operator, from 0 to 1,024.</summary>
    /// <value>The default value is 0: ONNX Runtime's own choice (one per physical core).</value>
    public int IntraOpThreads { get; init; }

    /// <summary>Gets where ONNX Runtime runs the model.</summary>
    /// <value>The default value is <see cref="OnnxExecutionProvider.Cpu"/>.</value>
    public OnnxExecutionProvider ExecutionProvider { get; init; } = OnnxExecutionProvider.Cpu;

    /// <summary>Gets the CUDA device the model runs on when <see cref="ExecutionProvider"/> is <see cref="OnnxExecutionProvider.Cuda"/>.</summary>
    /// <value>The default value is 0.</value>
    public int CudaDeviceId { get; init; }

    /// <summary>Checks every option and reports all problems in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are out of range; the message lists each.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        CheckName(InputName, nameof(InputName), problems);
        CheckName(LogitsOutputName, nameof(LogitsOutputName), problems);
        CheckName(FeaturesOutputName, nameof(FeaturesOutputName), problems);
        if (FeaturesOutputName is not null && string.Equals(FeaturesOutputName, LogitsOutputName, StringComparison.Ordinal))
        {
            problems.Add($"FeaturesOutputName must differ from LogitsOutputName; both are '{FeaturesOutputName}'.");
        }

        if (MaxBatchSize is < 1 or > MaxBatchLimit)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MaxBatchSize must be in [1, {MaxBatchLimit}] (or null for no limit); found {MaxBatchSize}."));
        }

        if (IntraOpThreads is < 0 or > MaxThreads)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"IntraOpThreads must be in [0, {MaxThreads}] (0 for ONNX Runtime's choice); found {IntraOpThreads}."));
        }

        if (!Enum.IsDefined(ExecutionProvider))
        {
            problems.Add($"ExecutionProvider must be a defined OnnxExecutionProvider; found {ExecutionProvider}.");
        }

        if (CudaDeviceId < 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"CudaDeviceId must be at least 0; found {CudaDeviceId}."));
        }

        if (problems.Count != 0)
        {
            throw new ArgumentException("Invalid ONNX model options: " + string.Join(" ", problems), "options");
        }
    }

    private static void CheckName(string? name, string what, List<string> problems)
    {
        if (name is not null && string.IsNullOrWhiteSpace(name))
        {
            problems.Add($"{what} must be null (to discover it) or a non-blank name; found '{name}'.");
        }
    }
}
