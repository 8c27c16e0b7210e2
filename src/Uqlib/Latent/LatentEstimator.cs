using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// The part every latent-space estimator shares once its detector is fitted: estimating a batch from the model's features, saving,
/// loading (keeping the current fit when the file is refused), replacing and disposing the detector, and refusing use after dispose.
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
        using var scope = torch.NewDisposeScope();
        using var output = model.Forward(inputs);
        var features = LatentFeatures.Take(output, globalAveragePooling, name);
        var scores = score(fitted, features);
        var probabilities = LatentFeatures.Probabilities(output.Logits, model.OutputKind);
        return new UncertaintyEstimate(probabilities.MoveToOuterDisposeScope(), OutputDtype.PerCase(scores).MoveToOuterDisposeScope());
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
