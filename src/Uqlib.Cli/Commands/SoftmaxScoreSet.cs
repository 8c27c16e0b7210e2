using System.Collections.Generic;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary>
/// The softmax scores a run derives from logits (every one higher = more uncertain), labelled in every table, JSON and chart with the
/// library's names for them (<see cref="SoftmaxScore"/>): a label says what the number is (1 − max p, not "MSP", whose max p is a confidence).
/// </summary>
internal static class SoftmaxScoreSet
{
    /// <summary>1 − max p, entropy and 1 − margin of <paramref name="probabilities"/>, and energy of <paramref name="logits"/> at <paramref name="temperature"/>.</summary>
    public static Dictionary<string, Tensor> Compute(Tensor logits, Tensor probabilities, double temperature = 1.0) => new()
    {
        [nameof(SoftmaxScore.OneMinusMaxProbability)] = SoftmaxScores.OneMinusMaxProbability(probabilities),
        [nameof(SoftmaxScore.Entropy)] = SoftmaxScores.Entropy(probabilities),
        [nameof(SoftmaxScore.OneMinusMargin)] = SoftmaxScores.OneMinusMargin(probabilities),
        [nameof(SoftmaxScore.Energy)] = SoftmaxScores.Energy(logits, temperature),
    };
}
