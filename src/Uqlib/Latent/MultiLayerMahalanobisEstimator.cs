using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.Extensions.Logging;
using TorchSharp;
using Uqlib.Models;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The multi-layer Mahalanobis estimator: class-conditional Gaussians of several layers of a network, their distances combined into one score (Lee et al. 2018's feature ensemble).</summary>
/// <remarks>
/// Lee et al. 2018, "A simple unified framework for detecting out-of-distribution samples and adversarial attacks", without the input
/// pre-processing. The network must be a white box (<see cref="Requirements.WhiteBoxNetwork"/>): a <see cref="TorchModuleModel"/>, whose layers
/// are named as in <c>named_modules()</c> and read by forward hooks, or a <see cref="TorchScriptModel"/> whose forward returns
/// (logits, f_1, …, f_K), whose layers are named <c>"output1"</c> … <c>"outputK"</c>. All layers are taken in one forward pass and pooled to
/// <c>(N, C_l)</c> (global average over space, or flattened: <see cref="MahalanobisOptions.GlobalAveragePooling"/>). Fitting streams the model
/// over <see cref="FitData.Training"/> accumulating float64 statistics per layer, so the training set never has to fit in memory; the layers are
/// then weighed equally (see <see cref="MultiLayerMahalanobisDetector"/>) until <see cref="FitFeatureEnsemble"/> fits Lee et al.'s weights on
/// in-distribution and out-of-distribution validation batches. See <see cref="MultiLayerMahalanobisDetector"/> for the pure core and the cost.
/// Not thread-safe.
/// </remarks>
public sealed class MultiLayerMahalanobisEstimator : IUncertaintyEstimator, IDisposable
{
    private readonly IWhiteBoxModel model;
    private readonly string[] layers;
    private readonly MahalanobisOptions options;
    private MultiLayerMahalanobisDetector? detector;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="MultiLayerMahalanobisEstimator"/> class.</summary>
    /// <param name="model">The network: a <see cref="TorchModuleModel"/> or a <see cref="TorchScriptModel"/>.</param>
    /// <param name="layers">The names of the layers whose features are modelled, at least one, each once (see the remarks for how layers are named).</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="MahalanobisOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="layers"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The model is a black box (a delegate or ONNX model); <paramref name="layers"/> is empty, repeats a name or names a layer the model does not have (the message lists those it has); an option is out of range.</exception>
    public MultiLayerMahalanobisEstimator(IModel model, IReadOnlyList<string> layers, MahalanobisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Preconditions.NotNull(layers, nameof(layers));
        this.model = WhiteBoxModels.Require(model, "Multi-layer Mahalanobis", nameof(model));
        this.layers = [.. layers];
        if (this.layers.Length == 0)
        {
            throw new ArgumentException("layers is empty: name at least one layer of the network.", nameof(layers));
        }

        var repeated = this.layers.GroupBy(l => l, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            throw new ArgumentException($"layers names '{repeated.Key}' {repeated.Count()} times; name each layer once.", nameof(layers));
        }

        this.model.CheckLayers(this.layers, nameof(layers));
        this.options = options ?? MahalanobisOptions.Default;
        this.options.Validate();
    }

    /// <summary>Gets the options.</summary>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public MahalanobisOptions Options
    {
        get
        {
            ThrowIfDisposed();
            return options;
        }
    }

    /// <summary>Gets the layer names, in the order of the detector's layers.</summary>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public IReadOnlyList<string> Layers
    {
        get
        {
            ThrowIfDisposed();
            return Array.AsReadOnly(layers);
        }
    }

    /// <summary>Gets the fitted detector, or <see langword="null"/> before <see cref="Fit(FitData)"/> or <see cref="Load"/>; owned by the estimator.</summary>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public MultiLayerMahalanobisDetector? Detector
    {
        get
        {
            ThrowIfDisposed();
            return detector;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public string Name
    {
        get
        {
            ThrowIfDisposed();
            return options.ClassAgnostic ? "Multi-layer Mahalanobis (class-agnostic)" : "Multi-layer Mahalanobis";
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public Requirements Requirements
    {
        get
        {
            ThrowIfDisposed();
            return Requirements.TrainingData | Requirements.Features | Requirements.WhiteBoxNetwork;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The training data is missing or empty, a batch lacks labels, or a layer's features are not finite or all constant.</exception>
    /// <exception cref="InvalidOperationException">The model fails, or a named layer does not run or returns no batch of features.</exception>
    public void Fit(FitData data)
    {
        Fit(data, null, CancellationToken.None);
    }

    /// <summary>Fits each layer's Gaussians on the training set, streaming the model over its batches once; the layers are weighed equally.</summary>
    /// <param name="data">The data; <see cref="FitData.Training"/> is needed, labelled unless class-agnostic.</param>
    /// <param name="progress">Receives the batches and samples done, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between batches; the previous fit is then kept.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The training data is missing or empty, a batch is null or lacks labels, or a layer's features are not finite or all constant.</exception>
    /// <exception cref="InvalidOperationException">The model fails, or a named layer does not run or returns no batch of features.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Fit(FitData data, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(data);
        var batches = data.RequireTraining(Name);
        var needsLabels = !options.ClassAgnostic;
        var accumulators = new FeatureStatisticsAccumulator?[layers.Length];
        var statistics = new List<FeatureStatistics>(layers.Length);
        try
        {
            var done = 0;
            Stream(batches, progress, cancellationToken, (features, labels, logits) =>
            {
                if (needsLabels && labels is null)
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"{Name} needs labelled training batches (class indices); batch {done} has no labels."), nameof(data));
                }

                for (var l = 0; l < layers.Length; l++)
                {
                    accumulators[l] ??= new FeatureStatisticsAccumulator(needsLabels ? LatentFeatures.ClassesOf(logits, model.OutputKind) : 1);
                    accumulators[l]!.Add(features[l], needsLabels ? labels : null);
                }

                done++;
            });
            foreach (var accumulator in accumulators)
            {
                statistics.Add(accumulator!.ToStatistics());
            }

            var fitted = MultiLayerMahalanobisDetector.FromStatistics(statistics, options.Covariance, options.ClassAgnostic);
            detector?.Dispose();
            detector = fitted;
            options.Logger?.Log(LogLevel.Information, LogEvents.CovarianceChosen,
                "{Estimator} fitted on layers {Layers}: dimensions {Dimensions}, ranks {Ranks}",
                Name, string.Join(", ", layers), string.Join(", ", fitted.Dimensions), string.Join(", ", fitted.Ranks));
        }
        finally
        {
            foreach (var accumulator in accumulators)
            {
                accumulator?.Dispose();
            }

            statistics.ForEach(s => s.Dispose());
        }
    }

    /// <summary>Fits Lee et al.'s feature-ensemble weights (see <see cref="MultiLayerMahalanobisDetector.WithFeatureEnsemble"/>) on validation batches of in-distribution and out-of-distribution inputs; labels are not needed.</summary>
    /// <param name="inDistribution">In-distribution validation batches, at least one.</param>
    /// <param name="outOfDistribution">Out-of-distribution validation batches (the positive class), at least one.</param>
    /// <param name="l2">The L2 penalty λ on the standardised weights, finite and greater than 0 (scikit-learn's C = 1/λ).</param>
    /// <param name="progress">Receives the batches and samples done, counted for the in-distribution set and then afresh for the out-of-distribution set, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between batches; the current fit is then kept.</param>
    /// <exception cref="ArgumentNullException"><paramref name="inDistribution"/> or <paramref name="outOfDistribution"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A set holds no batch or a null batch, or a layer's scores have zero variance.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="l2"/> is not a finite positive number.</exception>
    /// <exception cref="InvalidOperationException">The estimator has not been fitted, or the model fails.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void FitFeatureEnsemble(
        IEnumerable<Batch> inDistribution, IEnumerable<Batch> outOfDistribution, double l2 = 1.0, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(inDistribution);
        ArgumentNullException.ThrowIfNull(outOfDistribution);
        Preconditions.Positive(l2, nameof(l2));
        var fitted = Fitted();
        using var scope = torch.NewDisposeScope();
        var inScores = LayerScores(fitted, inDistribution, nameof(inDistribution), progress, cancellationToken);
        var outScores = LayerScores(fitted, outOfDistribution, nameof(outOfDistribution), progress, cancellationToken);
        var weighted = fitted.WithFeatureEnsemble(inScores, outScores, l2, null, cancellationToken);
        detector = weighted;
        fitted.Dispose();
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The estimator has not been fitted, the model fails, or a named layer does not run.</exception>
    /// <exception cref="ArgumentException">A layer's features differ in dimension from the training features or are not finite.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        ThrowIfDisposed();
        var fitted = Fitted();
        using var scope = torch.NewDisposeScope();
        var (output, widths) = model.ForwardLayers(inputs, layers, options.GlobalAveragePooling);
        using (output)
        {
            var scores = fitted.Score(output.Features!.split(widths, 1), options.Arithmetic);
            var probabilities = LatentFeatures.Probabilities(output.Logits, model.OutputKind);
            return new UncertaintyEstimate(probabilities.MoveToOuterDisposeScope(), OutputDtype.PerCase(scores).MoveToOuterDisposeScope());
        }
    }

    /// <summary>Saves the fitted state (see <see cref="MultiLayerMahalanobisDetector.Save"/>).</summary>
    /// <param name="path">The file; overwritten.</param>
    /// <exception cref="InvalidOperationException">The estimator has not been fitted.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Save(string path)
    {
        ThrowIfDisposed();
        Fitted().Save(path);
    }

    /// <summary>Replaces the fitted state with one saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or of another kind; the current state is kept.</exception>
    /// <exception cref="ArgumentException">The saved fit has another number of layers than <see cref="Layers"/>, or its class-agnostic flag differs from <see cref="MahalanobisOptions.ClassAgnostic"/>; the current state is kept.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Load(string path)
    {
        ThrowIfDisposed();
        var loaded = MultiLayerMahalanobisDetector.Load(path);
        if (loaded.LayerCount != layers.Length || loaded.IsClassAgnostic != options.ClassAgnostic)
        {
            var found = string.Create(CultureInfo.InvariantCulture, $"{loaded.LayerCount} {(loaded.IsClassAgnostic ? "class-agnostic" : "class-conditional")} layer(s)");
            loaded.Dispose();
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The file holds {found}; this estimator is {Name} over {layers.Length} layer(s)."), nameof(path));
        }

        detector?.Dispose();
        detector = loaded;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        detector?.Dispose();
        detector = null;
    }

    /// <summary>Runs the model over batches, handing each batch's per-layer features <c>(n, C_l)</c>, labels and logits to <paramref name="consume"/>; memory stays flat.</summary>
    private void Stream(
        IEnumerable<Batch> batches, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken, Action<Tensor[], Tensor?, Tensor> consume, string parameter = "data")
    {
        LatentFeatures.ForEachBatch(batches, Name, parameter == "data" ? "FitData.Training" : parameter, parameter, progress, cancellationToken, batch =>
        {
            var (output, widths) = model.ForwardLayers(batch.Inputs, layers, options.GlobalAveragePooling);
            using (output)
            {
                consume(output.Features!.split(widths, 1), batch.Labels, output.Logits);
            }
        });
    }

    /// <summary>The layer scores <c>(N, L)</c> of every batch, in the caller's dispose scope.</summary>
    private Tensor LayerScores(MultiLayerMahalanobisDetector fitted, IEnumerable<Batch> batches, string parameter, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken)
    {
        var parts = new List<Tensor>();
        try
        {
            Stream(batches, progress, cancellationToken, (features, _, _) => parts.Add(fitted.LayerScores(features, options.Arithmetic).DetachFromDisposeScope()), parameter);
            return torch.cat(parts, 0);
        }
        finally
        {
            parts.ForEach(p => p.Dispose());
        }
    }

    private MultiLayerMahalanobisDetector Fitted()
    {
        return LatentFeatures.Fitted(detector, Name);
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }
}
