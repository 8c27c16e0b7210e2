using System;
using System.Globalization;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// The part every latent-space estimator shares once its detector is fitted: estimating a batch from the model's features, fitting from
/// the collected training features, saving, loading (keeping the current fit when the file is refused), replacing and disposing the
/// detector, describing itself, and refusing use after dispose.
/// </summary>
/// <typeparam name="TDetector">The fitted detector.</typeparam>
internal sealed class LatentEstimator<TDetector> : IDisposable
    where TDetector : class, ILatentDetector, IDisposable
{
    private readonly object owner;
    private readonly IModel model;
    private readonly bool globalAveragePooling;
    private readonly string name;
    private readonly Func<string, TDetector> load;
    private readonly Func<TDetector, Tensor, Tensor> score;
    private TDetector? detector;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="LatentEstimator{TDetector}"/> class.</summary>
    /// <param name="owner">The public estimator, named by <see cref="ObjectDisposedException"/>.</param>
    /// <param name="model">The model giving features.</param>
    /// <param name="globalAveragePooling">Whether feature maps are averaged over space.</param>
    /// <param name="name">The estimator's name, for messages.</param>
    /// <param name="load">The detector's <c>Load</c>.</param>
    /// <param name="score">How a batch's features are scored, or <see langword="null"/> for the detector's <see cref="ILatentDetector.Score"/>.</param>
    public LatentEstimator(object owner, IModel model, bool globalAveragePooling, string name, Func<string, TDetector> load, Func<TDetector, Tensor, Tensor>? score = null)
    {
        this.score = score ?? ((fitted, features) => fitted.Score(features));
        this.owner = owner;
        this.model = model;
        this.globalAveragePooling = globalAveragePooling;
        this.name = name;
        this.load = load;
    }

    /// <summary>Gets the fitted detector, or <see langword="null"/> before a fit or load.</summary>
    public TDetector? Detector
    {
        get
        {
            ThrowIfDisposed();
            return detector;
        }
    }

    /// <summary>Scores a batch: runs the model, takes its features and scores them with the fitted detector.</summary>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        ThrowIfDisposed();
        var fitted = LatentFeatures.Fitted(detector, name);
        return LatentFeatures.Estimate(model, inputs, globalAveragePooling, name, features => score(fitted, features));
    }

    /// <summary>
    /// Fits from the whole training set's features: streams the model over <see cref="FitData.Training"/>, collects the <c>(N, F)</c>
    /// features (in the model's dtype) and hands them to <paramref name="fit"/>; the previous fit is kept on any failure.
    /// </summary>
    /// <param name="data">The data; the public parameter is named <c>data</c>.</param>
    /// <param name="dimension">The feature dimension every batch must have (the final layer's F).</param>
    /// <param name="fit">The detector's one-shot fit on the collected features, observing the token.</param>
    /// <param name="progress">Receives the batches and samples collected.</param>
    /// <param name="cancellationToken">Checked per batch and passed to <paramref name="fit"/>.</param>
    public void Fit(FitData data, long dimension, Func<Tensor, CancellationToken, TDetector> fit, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(data);
        var batches = data.RequireTraining(name);
        using var features = LatentFeatures.Collect(model, batches, globalAveragePooling, name, dimension, progress, cancellationToken);
        Replace(fit(features, cancellationToken));
    }

    /// <summary>Saves the fitted detector.</summary>
    public void Save(string path)
    {
        ThrowIfDisposed();
        LatentFeatures.Fitted(detector, name).Save(path);
    }

    /// <summary>Loads a detector and, once <paramref name="accept"/> has not refused it, makes it the fitted one; on any failure the current fit is kept.</summary>
    public void Load(string path, Action<TDetector>? accept = null)
    {
        ThrowIfDisposed();
        var loaded = load(path);
        try
        {
            accept?.Invoke(loaded);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }

        Replace(loaded);
    }

    /// <summary>
    /// Describes the public estimator as scikit-learn's repr would: <c>{type}({detector})</c> once fitted, <c>{type}({settings}, unfitted)</c>
    /// before, <c>{type}(disposed)</c> after <see cref="Dispose"/>.
    /// </summary>
    public string Describe(Func<string> settings)
    {
        var type = owner.GetType().Name;
        return disposed ? type + "(disposed)"
            : detector is null ? string.Create(CultureInfo.InvariantCulture, $"{type}({settings()}, unfitted)")
            : string.Create(CultureInfo.InvariantCulture, $"{type}({detector})");
    }

    /// <summary>Makes <paramref name="fitted"/> the fitted detector, disposing the previous one.</summary>
    public void Replace(TDetector fitted)
    {
        detector?.Dispose();
        detector = fitted;
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming the public estimator once it has been disposed.</summary>
    public void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, owner);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        detector?.Dispose();
        detector = null;
    }
}
