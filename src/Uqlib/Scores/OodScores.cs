using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Scores;

/// <summary>Out-of-distribution scores computed from class probabilities alone, beside <see cref="SoftmaxScores"/>; higher = more out of distribution.</summary>
/// <remarks>Inputs <c>(N, C)</c> give scores <c>(N)</c>, float64; inputs are checked and never disposed. Pure and thread-safe.</remarks>
public static class OodScores
{
    /// <summary>GEN's default exponent γ.</summary>
    public const double DefaultGenGamma = 0.1;

    /// <summary>GEN's default number of largest probabilities summed, M.</summary>
    public const int DefaultGenTopClasses = 100;

    /// <summary>The generalized entropy G = Σ over the M largest probabilities of p^γ (1 − p)^γ (Liu, Lochman &amp; Zach 2023, "GEN").</summary>
    /// <param name="probabilities">Class probabilities <c>(N, C)</c>.</param>
    /// <param name="gamma">The exponent γ, in (0, 1]; small γ spreads the score over confident predictions.</param>
    /// <param name="topClasses">M, the number of largest probabilities summed, 1 to 100,000; all C classes when C is smaller.</param>
    /// <returns>Scores <c>(N)</c>, float64, in [0, M · 2^(−2γ)]: 0 for a one-hot prediction, largest for a uniform one.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="probabilities"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is empty, not 2-D, or holds NaN, infinite or out-of-range values.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gamma"/> or <paramref name="topClasses"/> is out of range.</exception>
    /// <remarks>The paper's confidence is −G; Uqlib returns G so that higher means more uncertain. Its defaults are γ = 0.1 and M = 100.</remarks>
    public static Tensor Gen(Tensor probabilities, double gamma = DefaultGenGamma, int topClasses = DefaultGenTopClasses)
    {
        Preconditions.Tensor(probabilities, nameof(probabilities), 2, 2);
        ProbabilityConversion.ValidateProbabilities(probabilities, nameof(probabilities));
        if (!(gamma > 0 && gamma <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, string.Create(CultureInfo.InvariantCulture, $"gamma must be in (0, 1]; found {gamma}."));
        }

        if (topClasses is < 1 or > 100_000)
        {
            throw new ArgumentOutOfRangeException(nameof(topClasses), topClasses, $"topClasses must be between 1 and 100000; found {topClasses}.");
        }

        using var scope = torch.NewDisposeScope();
        var p = probabilities.to(ScalarType.Float64);
        long m = Math.Min(topClasses, p.shape[1]);
        var top = m == p.shape[1] ? p : p.topk((int)m, 1).values;
        return top.pow(gamma).mul(top.neg().add(1).clamp_min(0).pow(gamma)).sum(1).MoveToOuterDisposeScope();
    }
}
