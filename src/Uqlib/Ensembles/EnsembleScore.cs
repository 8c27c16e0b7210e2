namespace Uqlib.Ensembles;

/// <summary>The measures of variability across the members of an ensemble (or across augmentations); each is oriented so that higher means more uncertain.</summary>
public enum EnsembleScore
{
    /// <summary>The entropy of the mean prediction, H[mean p] (total uncertainty).</summary>
    PredictiveEntropy,

    /// <summary>The mean of the members' entropies, mean H[p_m] (aleatoric part).</summary>
    ExpectedEntropy,

    /// <summary>Predictive minus expected entropy (BALD; epistemic part), never below 0.</summary>
    MutualInformation,

    /// <summary>The variance across members of the probability of the class the mean prediction picks.</summary>
    Variance,

    /// <summary>The variance across members of each class probability, summed over classes.</summary>
    TotalVariance,

    /// <summary>The fraction of members whose predicted class differs from the members' majority vote.</summary>
    Disagreement,

    /// <summary>The mean Kullback–Leibler divergence KL(p_m ‖ p_m′) over ordered pairs of distinct members.</summary>
    ExpectedPairwiseKL,
}
