namespace Uqlib.Evaluation;

/// <summary>Which confidence interval a bootstrap reports.</summary>
public enum BootstrapInterval
{
    /// <summary>The percentile interval: the (1 − level)/2 and (1 + level)/2 quantiles of the replicates (Efron &amp; Tibshirani 1993).</summary>
    Percentile,

    /// <summary>
    /// The bias-corrected and accelerated interval (Efron 1987, "Better bootstrap confidence intervals", JASA 82:171–185): quantiles moved by
    /// the replicates' median bias and by the skewness of the leave-one-out (case or cluster) jackknife, as SciPy's <c>method="BCa"</c>.
    /// </summary>
    Bca,
}
