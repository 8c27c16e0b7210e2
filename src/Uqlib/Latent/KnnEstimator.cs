using System;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The k-nearest-neighbour estimator: the distance of a sample's normalised latent feature to the k-th nearest normalised training feature.</summary>
/// <remarks>
/// Sun et al. 2022, "Out-of-distribution detection with deep nearest neighbors". Fitting streams the model over
/// <see cref="FitData.Training"/> (labels are not needed) and keeps the normalised features as a float32 bank, sub-sampled with
/// <see cref="KnnOptions.Seed"/> when <see cref="KnnOptions.BankSize"/> is set; the sub-sampling streams, so memory holds
/// the bank and one batch, never the whole training set. See <see cref="KnnDetector"/> for the pure core. Not thread-safe.
/// </remarks>
public sealed class KnnEstimator : IUncertaintyEstimator, IDisposable
{
    private readonly IModel model;
    private readonly LatentEstimator<KnnDetector> core;
    private readonly KnnOptions options;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="KnnEstimator"/> class.</summary>
    /// <param name="model">A model exposing latent features (<see cref="ModelOutput.Features"/>).</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="KnnOptions.Default"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public KnnEstimator(IModel model, KnnOptions? options = null)
    {
        this.model = Preconditions.NotNull(model, nameof(model));
        this.options = options ?? KnnOptions.Default;
        Options.Validate();
        core = new LatentEstimator<KnnDetector>(this, this.model, Options.GlobalAveragePooling, Name, KnnDetector.Load);
    }

    /// <summary>Gets the options.</summary>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public KnnOptions Options
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return options;
        }
    }

    /// <summary>Gets the fitted detector, or <see langword="null"/> before <see cref="Fit(FitData)"/> or <see cref="Load"/>.</summary>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public KnnDetector? Detector => core.Detector;

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public string Name
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return "kNN";
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
    /// <exception cref="ArgumentException">The training data is missing, empty, smaller than k, or its features are not finite.</exception>
    /// <exception cref="InvalidOperationException">The model returns no features.</exception>
    public void Fit(FitData data)
    {
        Fit(data, null, CancellationToken.None);
    }

    /// <summary>Fits on the training set, streaming the model over its batches.</summary>
    /// <param name="data">The data; <see cref="FitData.Training"/> is needed (labels are ignored).</param>
    /// <param name="progress">Receives the batches and samples done, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between batches; the previous fit is then kept.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The training data is missing, empty, smaller than k, its features are not finite or change dimension.</exception>
    /// <exception cref="InvalidOperationException">The model returns no features.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Fit(FitData data, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken = default)
    {
        core.ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(data);
        var batches = data.RequireTraining(Name);
        using var builder = new KnnBankBuilder(Options);
        var dimension = 0L;
        LatentFeatures.Stream(model, batches, Options.GlobalAveragePooling, Name, progress, cancellationToken, (features, _, _) =>
        {
            Preconditions.Finite(features, "features");
            if (dimension != 0 && features.shape[1] != dimension)
            {
                throw new ArgumentException(
                    $"{Name}: a batch has features of shape {Preconditions.ShapeText(features)}; earlier batches had dimension {dimension}.", nameof(data));
            }

            dimension = features.shape[1];
            builder.Add(KnnDetector.Normalise(features));
        });

        var fitted = KnnDetector.FromBuilder(builder, Options);
        core.Replace(fitted);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The estimator has not been fitted, or the model returns no features.</exception>
    /// <exception cref="ArgumentException">The features differ in dimension from the bank or are not finite.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        return core.Estimate(inputs);
    }

    /// <summary>Saves the fitted state (see <see cref="KnnDetector.Save"/>).</summary>
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
