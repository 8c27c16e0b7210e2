namespace Uqlib.Latent;

/// <summary>The floating-point arithmetic in which a latent detector computes its scores; the scores it returns are float64 either way.</summary>
public enum ScoreArithmetic
{
    /// <summary>Float64 throughout: the scores agree with scikit-learn and SciPy to rounding (about 1e-12 relative).</summary>
    Float64 = 0,

    /// <summary>
    /// Float32 matrix products (the one-GEMM form PyTorch code uses), about twice as fast on CPU; each score carries a relative error of
    /// order F · 2⁻²⁴ times the ratio of |A x|² to the distance (tested to 1e-3 relative on well-separated data). Opt in where speed matters
    /// more than the last digits.
    /// </summary>
    Float32 = 1,
}
