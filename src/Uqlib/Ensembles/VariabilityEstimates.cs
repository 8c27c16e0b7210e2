using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Ensembles;

/// <summary>What the deep-ensemble and test-time-augmentation estimators share: turning outputs into what is accumulated, and the estimate built from the sums.</summary>
internal static class VariabilityEstimates
{
    /// <summary>Class probabilities <c>(N, C[, …])</c>, or regression values as columns <c>(N, D)</c>.</summary>
    public static Tensor ToAccumulated(Tensor output, OutputKind kind, string name)
    {
        if (kind != OutputKind.Regression)
        {
            try
            {
                return ProbabilityConversion.ToProbabilities(output, kind);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"The model's {name} is invalid: {e.Message}", name, e);
            }
        }

        Preconditions.Tensor(output, name, 1, 8);
        Preconditions.Finite(output, name);
        return output.dim() == 1 ? output.unsqueeze(1) : output.flatten(1);
    }

    /// <summary>The mean prediction, the per-sample score and, for dense outputs, the per-pixel map (whose mean is the score).</summary>
    public static UncertaintyEstimate Finish(EnsembleAccumulator accumulator, OutputKind kind)
    {
        using var scope = torch.NewDisposeScope();
        var mean = accumulator.Mean();
        var scores = accumulator.Compute();
        if (kind == OutputKind.Regression)
        {
            var prediction = mean.shape[1] == 1 ? mean.squeeze(1) : mean;
            return new UncertaintyEstimate(prediction.MoveToOuterDisposeScope(), OutputDtype.PerCase(scores).MoveToOuterDisposeScope());
        }

        if (scores.dim() == 1)
        {
            return new UncertaintyEstimate(mean.MoveToOuterDisposeScope(), OutputDtype.PerCase(scores).MoveToOuterDisposeScope());
        }

        var perImage = scores.flatten(1).mean(new long[] { 1 });
        return new UncertaintyEstimate(mean.MoveToOuterDisposeScope(), OutputDtype.PerCase(perImage).MoveToOuterDisposeScope(), scores.MoveToOuterDisposeScope());
    }

    /// <summary>For regression the per-output variances are summed, which is what <see cref="EnsembleScore.TotalVariance"/> computes on columns.</summary>
    public static EnsembleScore AccumulatedScore(EnsembleScore score, OutputKind kind)
    {
        return kind == OutputKind.Regression ? EnsembleScore.TotalVariance : score;
    }

    public static EnsembleScore CheckScore(EnsembleScore score, OutputKind kind)
    {
        if (!Enum.IsDefined(score))
        {
            throw new ArgumentOutOfRangeException(nameof(score), score, $"score must be a defined EnsembleScore; found {score}.");
        }

        if (kind == OutputKind.Regression && score is not (EnsembleScore.Variance or EnsembleScore.TotalVariance))
        {
            throw new ArgumentException(
                $"A regression model has no class probabilities: use EnsembleScore.Variance or TotalVariance (the variance of the predictions); found {score}.",
                nameof(score));
        }

        return score;
    }
}
