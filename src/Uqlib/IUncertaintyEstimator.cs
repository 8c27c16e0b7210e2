using static TorchSharp.torch;

namespace Uqlib;

/// <summary>A post-hoc uncertainty method over one or more black-box models: fit once on what it needs, then estimate batch by batch.</summary>
public interface IUncertaintyEstimator
{
    /// <summary>Gets a short name for tables and plots (e.g. <c>"MSP"</c>, <c>"Ensemble MI"</c>).</summary>
    string Name { get; }

    /// <summary>Gets what <see cref="Fit"/> needs.</summary>
    Requirements Requirements { get; }

    /// <summary>Fits the estimator; a no-op where <see cref="Requirements"/> is <see cref="Requirements.None"/>.</summary>
    /// <param name="data">The data named by <see cref="Requirements"/>.</param>
    /// <exception cref="System.ArgumentException">A part of <paramref name="data"/> that the estimator needs is missing.</exception>
    void Fit(FitData data);

    /// <summary>Estimates uncertainty for one batch.</summary>
    /// <param name="inputs">A batch of inputs; not disposed.</param>
    /// <returns>Probabilities and scores for the batch; the caller disposes it.</returns>
    /// <exception cref="System.InvalidOperationException">The estimator needs fitting and <see cref="Fit"/> has not been called.</exception>
    UncertaintyEstimate Estimate(Tensor inputs);
}
