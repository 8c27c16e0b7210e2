namespace Uqlib.Scores;

/// <summary>The uncertainty scores computed from one model's output; each is oriented so that higher means more uncertain.</summary>
public enum SoftmaxScore
{
    /// <summary>1 − max p (maximum softmax probability, Hendrycks &amp; Gimpel 2017).</summary>
    MaxProbability,

    /// <summary>Shannon entropy of p, in nats.</summary>
    Entropy,

    /// <summary>1 − (p₁ − p₂), one minus the gap between the two largest probabilities.</summary>
    Margin,

    /// <summary>−max logit (Hendrycks et al. 2022).</summary>
    MaxLogit,

    /// <summary>−T·logsumexp(logits / T) (Liu et al. 2020), with T = 1.</summary>
    Energy,

    /// <summary>0.5 − |p − 0.5| for a binary model: how far the positive-class probability is from a hard label.</summary>
    DistanceToHardLabel,
}
