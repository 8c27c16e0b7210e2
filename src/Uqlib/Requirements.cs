using System;

namespace Uqlib;

/// <summary>What an estimator's <see cref="IUncertaintyEstimator.Fit(FitData)"/> needs; combined as flags.</summary>
[Flags]
public enum Requirements
{
    /// <summary>Nothing: <c>Fit</c> is a no-op and the estimator can be used at once.</summary>
    None = 0,

    /// <summary>A labelled validation set (<see cref="FitData.Validation"/> with labels).</summary>
    LabelledValidationData = 1,

    /// <summary>The training set (<see cref="FitData.Training"/>), e.g. for latent-space statistics.</summary>
    TrainingData = 2,

    /// <summary>Several models (an ensemble), given to the estimator's constructor.</summary>
    SeveralModels = 4,

    /// <summary>Models that expose latent features (<see cref="ModelOutput.Features"/>).</summary>
    Features = 8,
}
