using System;
using System.Globalization;

namespace Uqlib.Conformal;

/// <summary>
/// The one conformal quantile of Uqlib: the k-th smallest of n calibration scores with k = ⌈(n + 1)(1 − α)⌉ (Vovk et al. 2005;
/// Lei et al. 2018; Sadinle et al. 2019; Romano et al. 2020), computed in decimal arithmetic so that α = 0.1 with n = 9 gives k = 9.
/// </summary>
internal static class ConformalQuantile
{
    /// <summary>The rank k = ⌈(n + 1)(1 − α)⌉, in decimal arithmetic so that α = 0.1, n = 9 gives 9 and not 10.</summary>
    public static long Rank(long n, double alpha)
    {
        return (long)decimal.Ceiling((n + 1) * (1m - (decimal)alpha));
    }

    /// <summary>The smallest n for which the k-th smallest score exists at level α (k ≤ n, i.e. α ≥ 1/(n + 1)).</summary>
    public static int MinimumCount(double alpha, string name)
    {
        Preconditions.Alpha(alpha, name);
        var estimate = Math.Floor((1 - alpha) / alpha) - 2;
        if (!(estimate < int.MaxValue - 8))
        {
            throw new ArgumentOutOfRangeException(name, alpha,
                string.Create(CultureInfo.InvariantCulture, $"{name} = {alpha} needs more than {int.MaxValue} calibration scores."));
        }

        var n = Math.Max(1, (int)estimate);
        while (Rank(n, alpha) > n)
        {
            n++;
        }

        return n;
    }

    /// <summary>
    /// Checks α (in (0, 1) and at least 1/(n + 1)) and returns k = ⌈(n + 1)(1 − α)⌉ ≤ n; <paramref name="what"/> names the scores
    /// (e.g. "the 120 calibration scores of class 2").
    /// </summary>
    public static int CheckedRank(long n, double alpha, string name, string what)
    {
        Preconditions.Alpha(alpha, name);
        var k = Rank(n, alpha);
        if (k > n)
        {
            throw new ArgumentOutOfRangeException(name, alpha,
                string.Create(CultureInfo.InvariantCulture,
                    $"{name} = {alpha} is below 1/(n + 1) = {1.0 / (n + 1):G6} for {what} (n = {n}): the ⌈(n + 1)(1 − α)⌉ = {k}-th smallest score does not exist, so the set would have to hold every value. Use {name} ≥ {1.0 / (n + 1):G6}, or at least {MinimumCount(alpha, name)} calibration scores."));
        }

        return (int)k;
    }
}
