namespace Uqlib.Regression;

/// <summary>What the second channel of a <see cref="OutputKind.GaussianRegression"/> output holds.</summary>
public enum GaussianHead
{
    /// <summary>The log-variance log σ² (the usual heteroscedastic head, Kendall &amp; Gal 2017); the variance is its exponential.</summary>
    LogVariance,

    /// <summary>The variance σ² itself (e.g. after a softplus); it must be strictly positive.</summary>
    Variance,
}
