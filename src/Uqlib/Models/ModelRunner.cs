using System;
using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Models;

/// <summary>
/// Runs a forward function in inference mode, chunking large inputs and checking what comes back; a native failure (TorchSharp's
/// <see cref="ExternalException"/> with a c10 stack) becomes an <see cref="InvalidOperationException"/> naming the model, the input shape and dtype.
/// </summary>
/// <remarks>
/// Each chunk runs in its own dispose scope and its outputs are copied into tensors sized for the whole input, so the forward
/// function's temporaries live no longer than their chunk, even when the caller holds a dispose scope open around the call: peak
/// memory is the chunk's working set plus the outputs of the whole input.
/// </remarks>
internal static class ModelRunner
{
    public static ModelOutput Run(Tensor inputs, ModelOptions options, string model, Func<Tensor, (Tensor Logits, Tensor? Features)> forward)
    {
        Preconditions.Tensor(inputs, nameof(inputs), 1, 8);
        using var inference = torch.inference_mode();
        var count = inputs.shape[0];
        var chunk = options.MaxBatchSize ?? count;
        if (count <= chunk)
        {
            using var scope = torch.NewDisposeScope();
            var output = RunChunk(inputs, options, model, forward);
            output.Logits.MoveToOuterDisposeScope();
            output.Features?.MoveToOuterDisposeScope();
            return output;
        }

        using var logits = new RowBuffer($"{model}'s logits", count);
        using var features = new RowBuffer($"{model}'s features", count);
        for (long start = 0; start < count; start += chunk)
        {
            using var scope = torch.NewDisposeScope();
            using var slice = inputs.narrow(0, start, Math.Min(chunk, count - start));
            using var output = RunChunk(slice, options, model, forward);
            if (start > 0 && (output.Features is not null) != (features.Count > 0))
            {
                throw new InvalidOperationException($"{model} returned features for some chunks but not for others.");
            }

            logits.Append(output.Logits);
            if (output.Features is not null)
            {
                features.Append(output.Features);
            }
        }

        return new ModelOutput(logits.Take(), features.Count == 0 ? null : features.Take());
    }

    private static ModelOutput RunChunk(Tensor inputs, ModelOptions options, string model, Func<Tensor, (Tensor Logits, Tensor? Features)> forward)
    {
        var moved = options.Device is null ? inputs : inputs.to(options.Device);
        try
        {
            var (logits, features) = Invoke(forward, moved, model);
            if (logits is null)
            {
                throw new InvalidOperationException($"{model} returned no logits.");
            }

            // A forward function that hands back its input must not let the caller's tensor be disposed with the output.
            logits = ReferenceEquals(logits, moved) ? logits.alias() : logits;
            features = features is not null && ReferenceEquals(features, moved) ? features.alias() : features;
            CheckRows(logits, inputs.shape[0], model, "logits");
            if (features is not null)
            {
                CheckRows(features, inputs.shape[0], model, "features");
            }

            return new ModelOutput(logits, features);
        }
        finally
        {
            if (!ReferenceEquals(moved, inputs))
            {
                moved.Dispose();
            }
        }
    }

    /// <summary>The first line of a native error message, without the c10 stack that follows it.</summary>
    public static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }

    private static (Tensor Logits, Tensor? Features) Invoke(Func<Tensor, (Tensor Logits, Tensor? Features)> forward, Tensor inputs, string model)
    {
        try
        {
            return forward(inputs);
        }
        catch (ExternalException exception)
        {
            throw new InvalidOperationException(
                $"{model} failed on inputs of shape {Preconditions.ShapeText(inputs)} and dtype {inputs.dtype}: {FirstLine(exception.Message)}",
                exception);
        }
    }

    private static void CheckRows(Tensor output, long expected, string model, string what)
    {
        if (output.dim() == 0 || output.shape[0] != expected)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{model} returned {what} of shape {Preconditions.ShapeText(output)} for a batch of {expected} samples; dimension 0 must be the batch."));
        }
    }
}
