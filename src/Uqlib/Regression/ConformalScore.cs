namespace Uqlib.Regression;

/// <summary>The non-conformity score of split conformal regression.</summary>
public enum ConformalScore
{
    /// <summary>The absolute residual |y − μ|: intervals μ ± q̂ of one width everywhere (Lei et al. 2018).</summary>
    AbsoluteResidual,

    /// <summary>The residual normalised by the predicted standard deviation, |y − μ| / σ: intervals μ ± q̂·σ that adapt to the predicted uncertainty (Papadopoulos et al. 2008; Lei et al. 2018, section 5.2).</summary>
    NormalizedResidual,
}
