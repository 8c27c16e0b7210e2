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

    /// <summary>
    /// The network itself, not a black box: a <see cref="Models.TorchModuleModel"/> or a <see cref="Models.TorchScriptModel"/> whose input
    /// gradients can be taken or whose dropout layers can be switched on. A <see cref="Models.DelegateModel"/> or an ONNX model is refused
    /// when the estimator is built, with an <see cref="System.ArgumentException"/> naming this requirement.
    /// </summary>
    WhiteBoxNetwork = 16,
}
