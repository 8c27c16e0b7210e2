namespace Uqlib.Augmentation;

/// <summary>What <see cref="GreedyPolicySearch"/> maximises when it picks the next candidate.</summary>
/// <remarks>Lyzhov et al. 2020 (UAI), "Greedy Policy Search": the ablation compares the three; the calibrated log-likelihood wins.</remarks>
public enum PolicySearchCriterion
{
    /// <summary>The mean log-likelihood of the labels under the mixture after temperature scaling fitted on the same samples (the default).</summary>
    CalibratedLogLikelihood = 0,

    /// <summary>The mean log-likelihood of the labels under the mixture, without temperature scaling.</summary>
    LogLikelihood = 1,

    /// <summary>The fraction of samples whose most probable class under the mixture is the label.</summary>
    Accuracy = 2,
}
