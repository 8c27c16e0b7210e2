namespace Uqlib.Conformal;

/// <summary>The non-conformity score of split conformal classification sets; classes are ranked by decreasing probability, ties by class index.</summary>
public enum SetScore
{
    /// <summary>
    /// Least ambiguous set-valued classifier (LAC, Sadinle, Lei &amp; Wasserman 2019): s = 1 − p_y. Gives the smallest sets on average;
    /// randomised, ties between equal scores are broken by the case's uniform draw u (the pair (s, u) is ranked lexicographically).
    /// </summary>
    Lac,

    /// <summary>
    /// Adaptive prediction sets (APS, Romano, Sesia &amp; Candès 2020): s = the total probability of the classes ranked up to and including y;
    /// randomised, s = Σ_{rank &lt; ρ(y)} p + u·p_y.
    /// </summary>
    Aps,

    /// <summary>
    /// Regularised adaptive prediction sets (RAPS, Angelopoulos, Bates, Malik &amp; Jordan 2021): the APS score plus λ·max(0, ρ(y) − k_reg),
    /// where ρ(y) is the 1-based rank of y; see <see cref="ConformalSetOptions.Lambda"/> and <see cref="ConformalSetOptions.KReg"/>.
    /// </summary>
    Raps,

    /// <summary>
    /// Top-k: s = ρ(y), the 1-based rank of y, so that every set is the k̂ most probable classes (Angelopoulos et al. 2021's baseline);
    /// randomised, ties are broken by u as for <see cref="Lac"/> (equivalently s = ρ(y) − 1 + u).
    /// </summary>
    TopK,
}
