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

        var m = (int)Math.Min(topClasses, probabilities.shape[1]);
        // p^γ (1 − p)^γ = (p (1 − p))^γ: one power per probability, on cache-sized float64 chunks of rows.
        return RowChunks.Float64Scores(probabilities, nameof(probabilities), probabilities.device, p =>
        {
            var top = m == p.shape[1] ? p : p.topk(m, 1).values;
            return top.neg().add_(1).clamp_min_(0).mul_(top).pow_(gamma).sum(new long[] { 1 });
        });
    }
    /// <summary>MCM's default temperature τ.</summary>
    public const double DefaultMcmTemperature = 1.0;

    /// <summary>One minus the maximum concept matching score, 1 − max_c softmax(cos(v, z_c) / τ) (Ming et al. 2022, "MCM"), for zero-shot OOD detection with a vision–language model.</summary>
    /// <param name="imageEmbeddings">Image embeddings <c>(N, D)</c>, finite; normalised here (a zero row has cosine 0 with every concept).</param>
    /// <param name="conceptEmbeddings">Text embeddings of the in-distribution concepts (class names) <c>(C, D)</c>, C ≥ 2, finite; normalised here.</param>
    /// <param name="temperature">The temperature τ, finite and greater than 0.</param>
    /// <returns>Scores <c>(N)</c>, float64, in [0, 1 − 1/C]: near 1 − 1/C when the image matches no concept better than the others (out of distribution), lower when it matches one.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="imageEmbeddings"/> or <paramref name="conceptEmbeddings"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An embedding tensor is empty, not 2-D or not finite; the dimensions differ; fewer than 2 concepts.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not a finite number greater than 0.</exception>
    /// <remarks>
    /// Ming, Cai, Gu, Sun &amp; Li 2022, "Delving into out-of-distribution detection with vision-language representations" (NeurIPS): the
    /// MCM score is max_c softmax(s_c / τ) with s_c the cosine similarity of the image to concept c, τ = 1 by default (the paper shows the
    /// softmax matters: without it the maximum cosine separates ID from OOD worse). Higher MCM means in distribution; Uqlib returns
    /// 1 − MCM so that higher means more out of distribution, as <see cref="SoftmaxScores.OneMinusMaxProbability"/> does for the MSP. With
    /// <see cref="Models.ZeroShotClassifier"/>, pass its features (the normalised image embeddings) and its <c>ClassEmbeddings</c>.
    /// </remarks>
    public static Tensor MaxConceptMatching(Tensor imageEmbeddings, Tensor conceptEmbeddings, double temperature = DefaultMcmTemperature)
    {
        Preconditions.Tensor(imageEmbeddings, nameof(imageEmbeddings), 2, 2);
        Preconditions.Tensor(conceptEmbeddings, nameof(conceptEmbeddings), 2, 2);
        if (conceptEmbeddings.shape[1] != imageEmbeddings.shape[1] || conceptEmbeddings.shape[0] < 2)
        {
            throw new ArgumentException(
                $"conceptEmbeddings must be (C, {imageEmbeddings.shape[1]}) with C ≥ 2 to match imageEmbeddings {Preconditions.ShapeText(imageEmbeddings)}; found {Preconditions.ShapeText(conceptEmbeddings)}.",
                nameof(conceptEmbeddings));
        }

        Preconditions.Finite(conceptEmbeddings, nameof(conceptEmbeddings));
        Preconditions.Positive(temperature, nameof(temperature));
        using var scope = torch.NewDisposeScope();
        // cos(v, z_c) / τ = (z_c / (|z_c| τ)) · v / |v|: the images are never normalised as a whole; each float64 chunk (which also
        // refuses NaN and ∞ in imageEmbeddings) is multiplied once, as Z vᵀ (the faster orientation of libtorch's GEMM for few concepts).
        var device = imageEmbeddings.device;
        var z = nn.functional.normalize(conceptEmbeddings.to(ScalarType.Float64, device), 2.0, 1, 1e-12).div_(temperature);
        var scores = RowChunks.Float64Scores(imageEmbeddings, nameof(imageEmbeddings), device, v =>
        {
            var norms = v.norm(1).clamp_min_(1e-12);
            return z.matmul(v.t()).div_(norms).softmax(0).amax(new long[] { 0 }).neg_().add_(1.0);
        });
        return scores.MoveToOuterDisposeScope();
    }
}
