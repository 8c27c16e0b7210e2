namespace Uqlib.Latent;

/// <summary>How a covariance matrix is estimated from training features.</summary>
public enum CovarianceMethod
{
    /// <summary>Ledoit–Wolf shrinkage when the samples are fewer than ten times the feature dimension, the empirical covariance otherwise.</summary>
    Auto = 0,

    /// <summary>The maximum-likelihood (biased, divided by N) covariance, as scikit-learn's <c>EmpiricalCovariance</c>.</summary>
    Empirical = 1,

    /// <summary>Ledoit–Wolf shrinkage towards a scaled identity, as scikit-learn's <c>LedoitWolf</c> (Ledoit &amp; Wolf 2004).</summary>
    LedoitWolf = 2,
}
