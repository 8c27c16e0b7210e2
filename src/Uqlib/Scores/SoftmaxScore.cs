namespace Uqlib.Scores;

/// <summary>The uncertainty scores computed from one model's output; each is oriented so that higher means more uncertain.</summary>
/// <remarks>Each name says what the score returns: a confidence (maximum probability, margin, maximum logit) is turned into a score
/// by <c>OneMinus</c> or <c>Negative</c>, so no caller needs to flip it (<c>1 - OneMinusMaxProbability</c> would rank the most
/// confident cases first).</remarks>
public enum SoftmaxScore
{
    /// <summary>1 − max p: one minus the maximum softmax probability (MSP, Hendrycks &amp; Gimpel 2017), in [0, 1 − 1/C].</summary>
    OneMinusMaxProbability,

    /// <summary>Shannon entropy of p, in nats.</summary>
    Entropy,

    /// <summary>1 − (p₁ − p₂), one minus the gap between the two largest probabilities.</summary>
    OneMinusMargin,

    /// <summary>−max logit: the negative maximum logit (Hendrycks et al. 2022).</summary>
    NegativeMaxLogit,

    /// <summary>−T·logsumexp(logits / T) (Liu et al. 2020), with T = 1.</summary>
    Energy,

    /// <summary>0.5 − |p − 0.5| for a binary model: how far the positive-class probability is from a hard label.</summary>
    DistanceToHardLabel,
}
