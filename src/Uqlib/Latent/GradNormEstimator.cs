using System;
using System.Globalization;
using System.Threading;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The GradNorm estimator: the L1 norm of the gradient of the KL divergence between the softmax and the uniform distribution with respect to the final layer's weight (Huang, Geng &amp; Li 2021); needs no fitting.</summary>
/// <remarks>
/// The model's features must be the input of the final linear layer (a <see cref="Models.TorchModuleModel"/> whose <c>featureLayer</c>
/// is the layer before it, or any model returning those activations); feature maps <c>(N, C, H, W…)</c> are averaged over space first,
/// as the global average pooling before a ResNet's final layer. Only the features and the layer's weight and bias are used
/// (<see cref="Requirements.Features"/>; the network itself is not needed). Scores equal <see cref="GradNormDetector.Score"/> on the same
/// features; see <see cref="GradNormDetector"/> for the closed form (no backward pass is run). Not thread-safe when the model is not.
/// </remarks>
public sealed class GradNormEstimator : IUncertaintyEstimator, IDisposable
{
    private const string EstimatorName = "GradNorm";
    private readonly IModel model;
    private readonly GradNormDetector detector;
    private bool disposed;

    /// <summary>Initializes a new instance of the <see cref="GradNormEstimator"/> class from the final layer's weight and bias.</summary>
    /// <param name="model">A model exposing the final layer's input as its features.</param>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>, finite; copied.</param>
    /// <param name="bias">Its bias <c>(C)</c>, finite, or <see langword="null"/> for none; copied.</param>
    /// <param name="temperature">The softmax temperature T, finite and in (0, 10⁶]; the paper's default 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The weight or bias is empty, of the wrong shape or not finite, or the weight has one class.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not finite or out of range.</exception>
    public GradNormEstimator(IModel model, Tensor weight, Tensor? bias = null, double temperature = 1.0)
    {
        this.model = Preconditions.NotNull(model, nameof(model));
        detector = GradNormDetector.Create(weight, bias, temperature);
    }

    /// <summary>Creates the estimator from a TorchSharp <see cref="Linear"/> final layer.</summary>
    /// <param name="model">A model exposing the layer's input as its features.</param>
    /// <param name="finalLayer">The final linear layer; its weight and bias are copied.</param>
    /// <param name="temperature">The softmax temperature T, finite and in (0, 10⁶]; the paper's default 1.</param>
    /// <returns>The estimator; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="finalLayer"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The layer's parameters are not finite, or it has one output.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not finite or out of range.</exception>
    public static GradNormEstimator FromLinear(IModel model, Linear finalLayer, double temperature = 1.0)
    {
        ArgumentNullException.ThrowIfNull(finalLayer);
        return new GradNormEstimator(model, finalLayer.weight, finalLayer.bias, temperature);
    }

    /// <summary>Gets the detector (owned by the estimator: do not dispose it).</summary>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public GradNormDetector Detector
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return detector;
        }
    }

    /// <inheritdoc />
    /// <value>Always <c>"GradNorm"</c>.</value>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public string Name
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return EstimatorName;
        }
    }

    /// <inheritdoc />
    /// <value>The model's features only: nothing is fitted.</value>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public Requirements Requirements
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return Requirements.Features;
        }
    }

    /// <summary>Does nothing: GradNorm needs no fitting.</summary>
    /// <param name="data">The data; not used.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Fit(FitData data)
    {
        Fit(data, null);
    }

    /// <summary>Does nothing: GradNorm needs no fitting; reports no progress.</summary>
    /// <param name="data">The data; not used.</param>
    /// <param name="progress">Not used: there is nothing to report.</param>
    /// <param name="cancellationToken">Checked once.</param>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is <see langword="null"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public void Fit(FitData data, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(data);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The model returns no features.</exception>
    /// <exception cref="ArgumentException">The features differ in dimension from the weight or are not finite.</exception>
    /// <exception cref="ObjectDisposedException">The estimator has been disposed.</exception>
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return LatentFeatures.Estimate(model, inputs, true, EstimatorName, detector.Score);
    }

    /// <summary>Describes the estimator, e.g. <c>GradNormEstimator(GradNormDetector(T=1, classes=10, features=512))</c>.</summary>
    /// <returns>The description, or <c>GradNormEstimator(disposed)</c> after <see cref="Dispose"/>.</returns>
    public override string ToString()
    {
        return disposed ? "GradNormEstimator(disposed)" : string.Create(CultureInfo.InvariantCulture, $"GradNormEstimator({detector})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        detector.Dispose();
    }
}
