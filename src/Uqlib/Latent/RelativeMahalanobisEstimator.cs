using System;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The relative Mahalanobis estimator: the Mahalanobis score of a model's latent features minus that of a background Gaussian of all training features.</summary>
/// <remarks>
/// Ren et al. 2021, "A simple fix to Mahalanobis distance for improving near-OOD detection". Fitting streams the model over the
/// labelled <see cref="FitData.Training"/> batches once, accumulating float64 statistics for both Gaussians. See
/// <see cref="RelativeMahalanobisDetector"/> for the pure core. Not thread-safe.
/// </remarks>
public sealed class RelativeMahalanobisEstimator : IUncertaintyEstimator, IDisposable
{
    private readonly IModel model;
    private readonly LatentEstimator<RelativeMahalanobisDetector> core;
    private readonly MahalanobisOptions options;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="RelativeMahalanobisEstimator"/> class.</summary>
    /// <param name="model">A model exposing latent features (<see cref="ModelOutput.Features"/>).</param>
    /// <param name="options">The options (class-conditional), or <see langword="null"/> for <see cref="MahalanobisOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or <see cref="MahalanobisOptions.ClassAgnostic"/> is set (the relative distance needs classes).</exception>
    public RelativeMahalanobisEstimator(IModel model, MahalanobisOptions? options = null)
    {
        this.model = Preconditions.NotNull(model, nameof(model));
        this.options = options ?? MahalanobisOptions.Default;
        Options.Validate();
        core = new LatentEstimator<RelativeMahalanobisDetector>(
            this, this.model, Options.GlobalAveragePooling, Name, RelativeMahalanobisDetector.Load, (fitted, features) => fitted.Score(features, Options.Arithmetic));
        if (Options.ClassAgnostic)
        {
            throw new ArgumentException("The relative Mahalanobis distance needs class means: options.ClassAgnostic must be false.", nameof(options));
        }
    }

    /// <summary>Gets the options.</summary>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public MahalanobisOptions Options
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return options;
        }
    }

    /// <summary>Gets the fitted detector, or <see langword="null"/> before <see cref="Fit(FitData)"/> or <see cref="Load"/>.</summary>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public RelativeMahalanobisDetector? Detector => core.Detector;

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public string Name
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return "Relative Mahalanobis";
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
    /// <exception cref="ArgumentException">The training data is missing or empty, a batch lacks labels, or a covariance is singular.</exception>
    /// <exception cref="InvalidOperationException">The model returns no features.</exception>
    public void Fit(FitData data)
    {
        Fit(data, null, CancellationToken.None);
    }

    /// <summary>Fits on the labelled training set, streaming the model over its batches.</summary>
    /// <param name="data">The data; <see cref="FitData.Training"/> with labels is needed.</param>
    /// <param name="progress">Receives the batches and samples done, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between batches; the previous fit is then kept.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The training data is missing or empty, a batch lacks labels, features are not finite, or a covariance is singular.</exception>
    /// <exception cref="InvalidOperationException">The model returns no features.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Fit(FitData data, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken = default)
    {
        core.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(data);
        using var statistics = MahalanobisEstimator.Accumulate(model, data, Options, Name, needsLabels: true, progress, cancellationToken);
        var fitted = RelativeMahalanobisDetector.FromStatistics(statistics, Options.Covariance);
        core.Replace(fitted);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The estimator has not been fitted, or the model returns no features.</exception>
    /// <exception cref="ArgumentException">The features differ in dimension from the training features or are not finite.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        return core.Estimate(inputs);
    }

    /// <summary>Saves the fitted state (see <see cref="RelativeMahalanobisDetector.Save"/>).</summary>
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
    }
}
