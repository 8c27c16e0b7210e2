using System;
using System.Collections.Generic;

namespace Uqlib;

/// <summary>The data an estimator may fit on; which parts it needs is stated by its <see cref="IUncertaintyEstimator.Requirements"/>.</summary>
/// <remarks>The sequences may be enumerated more than once (e.g. a greedy policy search); the batches are not disposed by the estimator.</remarks>
public sealed record FitData
{
    /// <summary>Gets data with nothing in it, for estimators that need nothing.</summary>
    public static FitData None { get; } = new();

    /// <summary>Gets the labelled validation batches (held out from training), or <see langword="null"/>.</summary>
    public IEnumerable<Batch>? Validation { get; init; }

    /// <summary>Gets the training batches (labelled where the estimator uses classes), or <see langword="null"/>.</summary>
    public IEnumerable<Batch>? Training { get; init; }

    /// <summary>Returns the validation batches, or throws an <see cref="ArgumentException"/> naming the estimator that needs them.</summary>
    /// <param name="estimator">The name of the estimator asking.</param>
    /// <returns>The validation batches.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="estimator"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><see cref="Validation"/> is <see langword="null"/>.</exception>
    public IEnumerable<Batch> RequireValidation(string estimator)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        return Validation ?? throw new ArgumentException(
            $"{estimator} needs labelled validation data: set FitData.Validation to batches with labels.", "data");
    }

    /// <summary>Returns the training batches, or throws an <see cref="ArgumentException"/> naming the estimator that needs them.</summary>
    /// <param name="estimator">The name of the estimator asking.</param>
    /// <returns>The training batches.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="estimator"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><see cref="Training"/> is <see langword="null"/>.</exception>
    public IEnumerable<Batch> RequireTraining(string estimator)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        return Training ?? throw new ArgumentException(
            $"{estimator} needs training data: set FitData.Training to the training batches.", "data");
    }
}
