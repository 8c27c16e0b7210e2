using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>Takes latent features out of a model's output, pools feature maps, and streams a model over batches for fitting.</summary>
internal static class LatentFeatures
{
    /// <summary>The features of an output as <c>(N, F)</c>: rank 2 as they are, feature maps <c>(N, C, …)</c> averaged over space or flattened. A new tensor.</summary>
    public static Tensor Take(ModelOutput output, bool globalAveragePooling, string estimator)
    {
        var features = output.Features ?? throw new InvalidOperationException(
            $"{estimator} needs latent features but the model returned none: use a model that exposes them (a TorchModuleModel with a featureLayer, or a TorchScript/ONNX model returning (logits, features)).");
        if (features.dim() < 2)
        {
            throw new InvalidOperationException(
                $"{estimator} needs features of shape (N, F) or (N, C, H, W[, D]); the model returned shape {Preconditions.ShapeText(features)}.");
        }

        if (features.dim() == 2)
        {
            return features.alias();
        }

        using var scope = torch.NewDisposeScope();
        var pooled = globalAveragePooling ? features.flatten(2).mean(new long[] { 2 }) : features.flatten(1);
        return pooled.MoveToOuterDisposeScope();
    }

    /// <summary>The number of classes a model's output describes (2 for a binary logit, 1 for regression).</summary>
    public static int ClassesOf(Tensor output, OutputKind kind)
    {
        return kind switch
        {
            OutputKind.BinaryLogit => 2,
            OutputKind.Regression => 1,
            _ when output.dim() >= 2 && output.shape[1] > 1 => checked((int)output.shape[1]),
            _ => 2,
        };
    }

    /// <summary>Class probabilities of an output (for regression, the predicted values).</summary>
    public static Tensor Probabilities(Tensor output, OutputKind kind)
    {
        return kind == OutputKind.Regression ? output.alias() : ProbabilityConversion.ToProbabilities(output, kind);
    }

    /// <summary>Runs the model over the batches and hands each batch's (N, F) features, labels and output to <paramref name="consume"/>; memory stays flat.</summary>
    public static void Stream(
        IModel model,
        IEnumerable<Batch> batches,
        bool globalAveragePooling,
        string estimator,
        IProgress<EstimationProgress>? progress,
        CancellationToken cancellationToken,
        Action<Tensor, Tensor?, ModelOutput> consume)
    {
        ForEachBatch(batches, estimator, "FitData.Training", "data", progress, cancellationToken, batch =>
        {
            using var output = model.Forward(batch.Inputs);
            var features = Take(output, globalAveragePooling, estimator);
            consume(features, batch.Labels, output);
        });
    }

    /// <summary>
    /// Hands each batch to <paramref name="process"/> inside its own dispose scope, checking for cancellation before each and reporting the
    /// batches and samples done; a null batch or no batch at all in <paramref name="source"/> is an <see cref="ArgumentException"/> for <paramref name="parameter"/>.
    /// </summary>
    public static void ForEachBatch(
        IEnumerable<Batch> batches,
        string estimator,
        string source,
        string parameter,
        IProgress<EstimationProgress>? progress,
        CancellationToken cancellationToken,
        Action<Batch> process)
    {
        var done = 0;
        var samples = 0L;
        var total = EstimationProgress.TotalOf(batches);
        foreach (var batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (batch is null)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{estimator}: batch {done} of {source} is null."), parameter);
            }

            using (var scope = torch.NewDisposeScope())
            {
                process(batch);
            }

            done++;
            samples += batch.Count;
            progress?.Report(new EstimationProgress(done, samples) { TotalSamples = total });
        }

        if (done == 0)
        {
            throw new ArgumentException($"{estimator} needs data: {source} holds no batches.", parameter);
        }
    }

    /// <summary>
    /// Runs the model over the batches and collects every batch's <c>(N, F)</c> features, in the model's dtype and on its device, into one
    /// <c>(ΣN, F)</c> tensor the caller owns; every batch must have dimension <paramref name="dimension"/> and finite features.
    /// </summary>
    public static Tensor Collect(
        IModel model,
        IEnumerable<Batch> batches,
        bool globalAveragePooling,
        string estimator,
        long dimension,
        IProgress<EstimationProgress>? progress,
        CancellationToken cancellationToken)
    {
        using var rows = new RowBuffer($"{estimator}'s training features", EstimationProgress.TotalOf(batches) ?? 0);
        Stream(model, batches, globalAveragePooling, estimator, progress, cancellationToken, (features, _, _) =>
        {
            if (features.shape[1] != dimension)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"{estimator}: a training batch has features of shape {Preconditions.ShapeText(features)} but the final layer's weight expects dimension {dimension}."),
                    "data");
            }

            Preconditions.Finite(features, "features");
            rows.Append(features);
        });

        cancellationToken.ThrowIfCancellationRequested();
        return rows.Take();
    }

    /// <summary>Estimates a batch: runs the model, scores its <c>(N, F)</c> features with <paramref name="score"/> (float64 scores) and takes the model's probabilities.</summary>
    public static UncertaintyEstimate Estimate(IModel model, Tensor inputs, bool globalAveragePooling, string estimator, Func<Tensor, Tensor> score)
    {
        using var scope = torch.NewDisposeScope();
        using var output = model.Forward(inputs);
        var features = Take(output, globalAveragePooling, estimator);
        var scores = score(features);
        var probabilities = Probabilities(output.Logits, model.OutputKind);
        return new UncertaintyEstimate(probabilities.MoveToOuterDisposeScope(), OutputDtype.PerCase(scores).MoveToOuterDisposeScope());
    }

    /// <summary>Throws unless the estimator has been fitted.</summary>
    public static T Fitted<T>(T? detector, string estimator)
        where T : class
    {
        return detector ?? throw new InvalidOperationException(
            $"{estimator} has not been fitted: call Fit with training data (or Load a saved fit) before Estimate.");
    }
}
