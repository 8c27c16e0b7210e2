namespace Uqlib.Latent;

/// <summary>How activation shaping (ASH, Djurisic et al. 2023) treats the activations it keeps after pruning the rest to zero.</summary>
public enum AshVariant
{
    /// <summary>ASH-P: the largest activations are kept as they are.</summary>
    Prune,

    /// <summary>ASH-B: the kept activations are all set to the row's sum before pruning divided by their number.</summary>
    Binarize,

    /// <summary>ASH-S: the kept activations are multiplied by exp(s₁ / s₂), s₁ and s₂ the row's sums before and after pruning.</summary>
    Scale,
}
