using System;
using System.IO;
using System.Threading;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The ViM estimator: virtual-logit matching on a model's latent features and its final linear layer (Wang et al. 2022).</summary>
/// <remarks>
/// The features must be the input of the final linear layer (the penultimate layer). Fitting makes two streaming passes over
/// <see cref="FitData.Training"/> (labels are not needed): one for the float64 second moment about the origin u = −W⁺b, one
/// for α; the inputs are never held in memory. See <see cref="VimDetector"/> for the pure core. Not thread-safe.
/// </remarks>
public sealed class VimEstimator : IUncertaintyEstimator, IDisposable
{
    private readonly IModel model;
    private readonly Tensor weight;
    private readonly Tensor bias;
    private readonly LatentEstimator<VimDetector> core;
    private readonly VimOptions options;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="VimEstimator"/> class from the final layer's weight and bias.</summary>
    /// <param name="model">A model exposing the final layer's input as its features.</param>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>; copied.</param>
    /// <param name="bias">Its bias <c>(C)</c>, or <see langword="null"/> for none; copied.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="VimOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The weight or bias is empty, of the wrong shape or not finite, or an option is out of range.</exception>
    public VimEstimator(IModel model, Tensor weight, Tensor? bias = null, VimOptions? options = null)
    {
        this.model = Preconditions.NotNull(model, nameof(model));
        this.options = options ?? VimOptions.Default;
        Options.Validate();
        core = new LatentEstimator<VimDetector>(this, this.model, Options.GlobalAveragePooling, Name, VimDetector.Load);
        Preconditions.Tensor(weight, nameof(weight), 2, 2);
        using var layer = VimDetector.Layer.Create(weight, bias, weight.shape[1]);
        this.weight = layer.Weight.clone().DetachFromDisposeScope();
        this.bias = layer.Bias.clone().DetachFromDisposeScope();
    }

    /// <summary>Creates the estimator from a TorchSharp <see cref="Linear"/> final layer.</summary>
    /// <param name="model">A model exposing the layer's input as its features.</param>
    /// <param name="finalLayer">The final linear layer; its weight and bias are copied.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="VimOptions.Default"/>.</param>
    /// <returns>The estimator; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="finalLayer"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The layer's parameters are not finite, or an option is out of range.</exception>
    public static VimEstimator FromLinear(IModel model, Linear finalLayer, VimOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(finalLayer);
        return new VimEstimator(model, finalLayer.weight, finalLayer.bias, options);
    }

    /// <summary>Gets the options.</summary>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public VimOptions Options
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return options;
        }
    }

    /// <summary>Gets the fitted detector, or <see langword="null"/> before <see cref="Fit(FitData)"/> or <see cref="Load"/>.</summary>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public VimDetector? Detector => core.Detector;

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public string Name
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return "ViM";
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public Requirements Requirements
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return Requirements.TrainingData | Requirements.Features;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The training data is missing or empty, or its features do not match the weight or are not finite.</exception>
    /// <exception cref="InvalidOperationException">The model returns no features.</exception>
    public void Fit(FitData data)
    {
        Fit(data, null, CancellationToken.None);
    }

    /// <summary>Fits on the training set in two streaming passes.</summary>
    /// <param name="data">The data; <see cref="FitData.Training"/> is needed and is enumerated twice.</param>
    /// <param name="progress">Receives the batches and samples done in each pass, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between batches; the previous fit is then kept.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The training data is missing or empty, or its features do not match the weight or are not finite.</exception>
    /// <exception cref="InvalidOperationException">The model returns no features.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Fit(FitData data, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken = default)
    {
        core.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(data);
        var batches = data.RequireTraining(Name);
        using var layer = VimDetector.Layer.Create(weight, bias, weight.shape[1]);
        using var moment = torch.zeros(new long[] { weight.shape[1], weight.shape[1] }, ScalarType.Float64, weight.device);
        var count = 0L;
        LatentFeatures.Stream(model, batches, Options.GlobalAveragePooling, Name, progress, cancellationToken, (features, _, _) =>
        {
            CheckBatch(features);
            using var part = layer.Moment(features);
            moment.add_(part);
            count += features.shape[0];
        });

        moment.div_(count);
        using var basis = VimDetector.ResidualBasisOf(moment, Options.DimensionFor(weight.shape[1]));
        double maxLogits = 0, norms = 0;
        LatentFeatures.Stream(model, batches, Options.GlobalAveragePooling, Name, progress, cancellationToken, (features, _, _) =>
        {
            CheckBatch(features);
            var (m, n) = layer.Sums(features, basis);
            maxLogits += m;
            norms += n;
        });

        var fitted = VimDetector.Create(layer, basis, maxLogits, norms);
        core.Replace(fitted);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The estimator has not been fitted, or the model returns no features.</exception>
    /// <exception cref="ArgumentException">The features differ in dimension from the weight or are not finite.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        return core.Estimate(inputs);
    }

    /// <summary>Saves the fitted state (see <see cref="VimDetector.Save"/>).</summary>
    /// <param name="path">The file; overwritten.</param>
    /// <exception cref="InvalidOperationException">The estimator has not been fitted.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Save(string path)
    {
        core.Save(path);
    }

    /// <summary>Replaces the fitted state with one saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or of another kind; the current state is kept.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Load(string path)
    {
        core.Load(path);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        core.Dispose();
        weight.Dispose();
        bias.Dispose();
    }

    private void CheckBatch(Tensor features)
    {
        if (features.shape[1] != weight.shape[1])
        {
            throw new ArgumentException(
                $"{Name}: the features have shape {Preconditions.ShapeText(features)} but the final layer's weight expects dimension {weight.shape[1]}.", "data");
        }

        Preconditions.Finite(features, "features");
    }
}
