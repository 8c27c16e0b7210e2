using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Models;

/// <summary>
/// Runs a forward function with gradients off, chunking large inputs and checking what comes back; a native failure (TorchSharp's
/// <see cref="ExternalException"/> with a c10 stack) becomes an <see cref="InvalidOperationException"/> naming the model, the input shape and dtype.
/// </summary>
internal static class ModelRunner
{
    public static ModelOutput Run(Tensor inputs, ModelOptions options, string model, Func<Tensor, (Tensor Logits, Tensor? Features)> forward)
    {
        Preconditions.Tensor(inputs, nameof(inputs), 1, 8);
        using var noGrad = torch.no_grad();
        var count = inputs.shape[0];
        var chunk = options.MaxBatchSize ?? count;
        if (count <= chunk)
        {
            return RunChunk(inputs, options, model, forward);
        }

        var logits = new List<Tensor>();
        var features = new List<Tensor>();
        try
        {
            for (long start = 0; start < count; start += chunk)
            {
                using var slice = inputs.narrow(0, start, Math.Min(chunk, count - start));
                var output = RunChunk(slice, options, model, forward);
                logits.Add(output.Logits);
                if (output.Features is not null)
                {
                    features.Add(output.Features);
                }
            }

            if (features.Count != 0 && features.Count != logits.Count)
            {
                throw new InvalidOperationException($"{model} returned features for some chunks but not for others.");
            }

            return new ModelOutput(torch.cat(logits, 0), features.Count == 0 ? null : torch.cat(features, 0));
        }
        finally
        {
            foreach (var tensor in logits)
            {
                tensor.Dispose();
            }

            foreach (var tensor in features)
            {
                tensor.Dispose();
            }
        }
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
