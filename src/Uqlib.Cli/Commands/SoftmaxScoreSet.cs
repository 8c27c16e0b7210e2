using System.Collections.Generic;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary>The softmax scores a run derives from logits (every one higher = more uncertain), named as the tables print them.</summary>
internal static class SoftmaxScoreSet
{
    /// <summary>MSP (1 − max p), entropy and margin of <paramref name="probabilities"/>, and energy of <paramref name="logits"/> at <paramref name="temperature"/>.</summary>
    public static Dictionary<string, Tensor> Compute(Tensor logits, Tensor probabilities, double temperature = 1.0) => new()
    {
        ["MSP"] = SoftmaxScores.OneMinusMaxProbability(probabilities),
        ["Entropy"] = SoftmaxScores.Entropy(probabilities),
        ["Margin"] = SoftmaxScores.OneMinusMargin(probabilities),
        ["Energy"] = SoftmaxScores.Energy(logits, temperature),
    };
}
