using System;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The fDBD estimator: the feature's distance to the final layer's decision boundaries, relative to its distance from the training mean (Liu &amp; Qin 2024).</summary>
/// <remarks>
/// <para>The model's features must be the input of the final linear layer (a <see cref="Models.TorchModuleModel"/> whose
/// <c>featureLayer</c> is the layer before it, or any model returning those activations); feature maps <c>(N, C, H, W…)</c> are averaged
/// over space first, as the global average pooling before a ResNet's final layer. Only the features and the layer's weight and bias are
/// used, so any model exposing features will do (<see cref="Requirements.Features"/>; the network itself is not needed).</para>
/// <para>Fitting runs the model over <see cref="FitData.Training"/> (labels are ignored) and collects every training feature, then fits
/// <see cref="FdbdDetector.Fit"/> on them (their mean): memory holds the <c>(N, F)</c> features once, in the model's dtype, while
/// fitting. Scores equal those of <see cref="FdbdDetector.Fit"/> on the same features; see <see cref="FdbdDetector"/> for the formula.
/// The weight needs at least 2 classes (rows), checked when fitting. Not thread-safe.</para>
/// </remarks>
public sealed class FdbdEstimator : IUncertaintyEstimator, IDisposable
{
    private const string EstimatorName = "fDBD";
    private readonly LinearHead head;
    private readonly LatentEstimator<FdbdDetector> core;

    /// <summary>Initializes a new instance of the <see cref="FdbdEstimator"/> class from the final layer's weight and bias.</summary>
    /// <param name="model">A model exposing the final layer's input as its features.</param>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>, finite; copied.</param>
    /// <param name="bias">Its bias <c>(C)</c>, finite, or <see langword="null"/> for none; copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The weight or bias is empty, of the wrong shape or not finite.</exception>
    public FdbdEstimator(IModel model, Tensor weight, Tensor? bias = null)
    {
        Preconditions.NotNull(model, nameof(model));
        head = LinearHead.Create(weight, bias);
        core = new LatentEstimator<FdbdDetector>(this, model, true, EstimatorName, FdbdDetector.Load);
    }

    /// <summary>Creates the estimator from a TorchSharp <see cref="Linear"/> final layer.</summary>
    /// <param name="model">A model exposing the layer's input as its features.</param>
    /// <param name="finalLayer">The final linear layer; its weight and bias are copied.</param>
    /// <returns>The estimator; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="finalLayer"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The layer's parameters are not finite.</exception>
    public static FdbdEstimator FromLinear(IModel model, Linear finalLayer)
    {
        ArgumentNullException.ThrowIfNull(finalLayer);
        return new FdbdEstimator(model, finalLayer.weight, finalLayer.bias);
    }

    /// <summary>Gets the fitted detector (owned by the estimator), or <see langword="null"/> before <see cref="Fit(FitData)"/> or <see cref="Load"/>.</summary>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public FdbdDetector? Detector => core.Detector;

    /// <inheritdoc />
    /// <value>Always <c>"fDBD"</c>.</value>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public string Name
    {
        get
        {
            core.ThrowIfDisposed();
            return EstimatorName;
        }
    }

    /// <inheritdoc />
    /// <value>The training set and the model's features.</value>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public Requirements Requirements
    {
        get
        {
            core.ThrowIfDisposed();
            return Requirements.TrainingData | Requirements.Features;
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The training data is missing or empty, or its features differ in dimension from the weight or are not finite; or the weight has fewer than 2 classes.</exception>
    /// <exception cref="InvalidOperationException">The model returns no features.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Fit(FitData data)
    {
        Fit(data, null, CancellationToken.None);
    }

    /// <summary>Fits the training mean on the training set's features.</summary>
    /// <param name="data">The data; <see cref="FitData.Training"/> is needed (labels are ignored).</param>
    /// <param name="progress">Receives the batches and samples run through the model, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between batches; the previous fit is then kept.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The training data is missing or empty, or its features differ in dimension from the weight or are not finite; or the weight has fewer than 2 classes.</exception>
    /// <exception cref="InvalidOperationException">The model returns no features.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Fit(FitData data, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken = default)
    {
        core.ThrowIfDisposed();
        core.Fit(data, head.Dimension, (features, token) => FdbdDetector.Fit(features, head.Weight, head.Bias, null, token), progress, cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The estimator has not been fitted, or the model returns no features.</exception>
    /// <exception cref="ArgumentException">The features differ in dimension from the weight or are not finite.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        return core.Estimate(inputs);
    }

    /// <summary>Saves the fitted state (see <see cref="FdbdDetector.Save"/>).</summary>
    /// <param name="path">The file; overwritten.</param>
    /// <exception cref="InvalidOperationException">The estimator has not been fitted.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Save(string path)
    {
        core.Save(path);
    }

    /// <summary>Replaces the fitted state with one saved by <see cref="Save"/>, which holds the final layer it was fitted with.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="InvalidDataException">The file is corrupt, truncated or of another kind; the current state is kept.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Load(string path)
    {
        core.Load(path);
    }

    /// <summary>Describes the estimator, e.g. <c>FdbdEstimator(FdbdDetector(…))</c> once fitted, <c>FdbdEstimator(C=10, F=512, unfitted)</c> before.</summary>
    /// <returns>The description, or <c>FdbdEstimator(disposed)</c> after <see cref="Dispose"/>.</returns>
    public override string ToString()
    {
        return core.Describe(() => string.Create(CultureInfo.InvariantCulture, $"C={head.Weight.shape[0]}, F={head.Dimension}"));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        core.Dispose();
        head.Dispose();
    }
}
