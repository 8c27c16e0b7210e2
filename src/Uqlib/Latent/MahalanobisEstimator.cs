using System;
using System.IO;
using System.Threading;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The Mahalanobis estimator: class means and one shared covariance of a model's latent training features; a sample's score is its squared Mahalanobis distance to the nearest class mean.</summary>
/// <remarks>
/// Lee et al. 2018, "A simple unified framework for detecting out-of-distribution samples and adversarial attacks". Fitting streams
/// the model over <see cref="FitData.Training"/> (labelled batches, unless <see cref="MahalanobisOptions.ClassAgnostic"/>) and
/// accumulates float64 sufficient statistics, so the training set never has to fit in memory. The number of classes is taken from
/// the model's output. See <see cref="MahalanobisDetector"/> for the pure core. Not thread-safe.
/// </remarks>
public sealed class MahalanobisEstimator : IUncertaintyEstimator, IDisposable
{
    private readonly IModel model;
    private readonly LatentEstimator<MahalanobisDetector> core;
    private readonly MahalanobisOptions options;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="MahalanobisEstimator"/> class.</summary>
    /// <param name="model">A model exposing latent features (<see cref="ModelOutput.Features"/>).</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="MahalanobisOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public MahalanobisEstimator(IModel model, MahalanobisOptions? options = null)
    {
        this.model = Preconditions.NotNull(model, nameof(model));
        this.options = options ?? MahalanobisOptions.Default;
        Options.Validate();
        core = new LatentEstimator<MahalanobisDetector>(
            this, this.model, Options.GlobalAveragePooling, Name, MahalanobisDetector.Load, (fitted, features) => fitted.Score(features, Options.Arithmetic));
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
    public MahalanobisDetector? Detector => core.Detector;

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public string Name
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return Options.ClassAgnostic ? "Mahalanobis (class-agnostic)" : "Mahalanobis";
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
    /// <exception cref="ArgumentException">The training data is missing or empty, a batch lacks labels, or the covariance is singular.</exception>
    /// <exception cref="InvalidOperationException">The model returns no features.</exception>
    public void Fit(FitData data)
    {
        Fit(data, null, CancellationToken.None);
    }

    /// <summary>Fits on the training set, streaming the model over its batches.</summary>
    /// <param name="data">The data; <see cref="FitData.Training"/> is needed, labelled unless class-agnostic.</param>
    /// <param name="progress">Receives the batches and samples done, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between batches; the previous fit is then kept.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The training data is missing or empty, a batch lacks labels, features are not finite, or the covariance is singular.</exception>
    /// <exception cref="InvalidOperationException">The model returns no features.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Fit(FitData data, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken = default)
    {
        core.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(data);
        using var statistics = Accumulate(model, data, Options, Name, !Options.ClassAgnostic, progress, cancellationToken);
        var detector = MahalanobisDetector.FromStatistics(statistics, Options.Covariance, Options.ClassAgnostic);
        core.Replace(detector);
        if (Options.Logger is { } logger)
        {
            var (method, shrinkage, count, dimension) = detector.CovarianceSummary;
            logger.Log(LogLevel.Information, LogEvents.CovarianceChosen,
                "{Estimator} fitted on {Samples} training samples of dimension {Dimension}: covariance {Method} (asked {Requested}), shrinkage {Shrinkage:G4}",
                Name, count, dimension, method, Options.Covariance, shrinkage);
        }
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The estimator has not been fitted, or the model returns no features.</exception>
    /// <exception cref="ArgumentException">The features differ in dimension from the training features or are not finite.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        return core.Estimate(inputs);
    }

    /// <summary>Saves the fitted state (see <see cref="MahalanobisDetector.Save"/>).</summary>
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
    /// <exception cref="ArgumentException">The saved fit's class-agnostic flag differs from <see cref="MahalanobisOptions.ClassAgnostic"/>.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Load(string path)
    {
        core.Load(path, loaded =>
        {
            if (loaded.IsClassAgnostic != Options.ClassAgnostic)
            {
                throw new ArgumentException(
                    $"The file holds a {(Options.ClassAgnostic ? "class-conditional" : "class-agnostic")} fit; this estimator is {Name}.", nameof(path));
            }
        });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        core.Dispose();
    }

    /// <summary>Streams the model over the training batches into float64 sufficient statistics.</summary>
    internal static FeatureStatistics Accumulate(
        IModel model, FitData data, MahalanobisOptions options, string name, bool needsLabels, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken)
    {
        var batches = data.RequireTraining(name);
        FeatureStatisticsAccumulator? accumulator = null;
        try
        {
            var index = 0;
            LatentFeatures.Stream(model, batches, options.GlobalAveragePooling, name, progress, cancellationToken, (features, labels, output) =>
            {
                accumulator ??= new FeatureStatisticsAccumulator(needsLabels ? LatentFeatures.ClassesOf(output.Logits, model.OutputKind) : 1);
                if (needsLabels && labels is null)
                {
                    throw new ArgumentException(
                        $"{name} needs labelled training batches (class indices); batch {index} has no labels.", nameof(data));
                }

                accumulator.Add(features, needsLabels ? labels : null);
                index++;
            });
            return accumulator!.ToStatistics();
        }
        finally
        {
            accumulator?.Dispose();
        }
    }

}
