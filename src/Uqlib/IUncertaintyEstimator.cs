using System;
using System.Threading;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>A post-hoc uncertainty method over one or more black-box models: fit once on what it needs, then estimate batch by batch.</summary>
public interface IUncertaintyEstimator
{
    /// <summary>Gets a short name for tables and plots (e.g. <c>"MSP"</c>, <c>"Ensemble MI"</c>).</summary>
    string Name { get; }

    /// <summary>Gets what <see cref="Fit(FitData)"/> needs.</summary>
    Requirements Requirements { get; }

    /// <summary>Fits the estimator; a no-op where <see cref="Requirements"/> is <see cref="Requirements.None"/>.</summary>
    /// <param name="data">The data named by <see cref="Requirements"/>.</param>
    /// <exception cref="ArgumentException">A part of <paramref name="data"/> that the estimator needs is missing.</exception>
    void Fit(FitData data);

    /// <summary>Fits the estimator, reporting progress and observing cancellation; a no-op where <see cref="Requirements"/> is <see cref="Requirements.None"/>.</summary>
    /// <remarks>Every estimator of the library implements it with progress per batch (with the total when the batches are a collection) and a
    /// cancellation check before each batch. The default implementation, for estimators written elsewhere, checks cancellation once and calls
    /// <see cref="Fit(FitData)"/>.</remarks>
    /// <param name="data">The data named by <see cref="Requirements"/>.</param>
    /// <param name="progress">Receives the batches and samples done, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the fit; the previous fit is then kept.</param>
    /// <exception cref="ArgumentException">A part of <paramref name="data"/> that the estimator needs is missing.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    void Fit(FitData data, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Fit(data);
    }

    /// <summary>Estimates uncertainty for one batch.</summary>
    /// <param name="inputs">A batch of inputs; not disposed.</param>
    /// <returns>Probabilities and scores for the batch; the caller disposes it.</returns>
    /// <exception cref="InvalidOperationException">The estimator needs fitting and <see cref="Fit(FitData)"/> has not been called.</exception>
    UncertaintyEstimate Estimate(Tensor inputs);
}
