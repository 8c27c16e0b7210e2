using System;
using TorchSharp;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Calibration;

/// <summary>The single-model estimator: one <see cref="SoftmaxScore"/> of the model's output, needing no fitting.</summary>
/// <remarks>
/// For segmentation outputs <c>(N, C, H, W[, D])</c> the estimate carries the per-pixel map and each image's score is the map's mean.
/// Not thread-safe when the wrapped model is not.
/// </remarks>
public sealed class SoftmaxEstimator : IUncertaintyEstimator
{
    private readonly IModel model;

    /// <summary>Initializes a new instance of the <see cref="SoftmaxEstimator"/> class.</summary>
    /// <param name="model">The model whose output is scored.</param>
    /// <param name="score">The score to report.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The model is a regression model, or <paramref name="score"/> is undefined.</exception>
    public SoftmaxEstimator(IModel model, SoftmaxScore score = SoftmaxScore.MaxProbability)
    {
        this.model = Preconditions.NotNull(model, nameof(model));
        if (model.OutputKind is OutputKind.Regression or OutputKind.GaussianRegression)
        {
            throw new ArgumentException("A softmax score needs a classification or segmentation model; found a regression model.", nameof(model));
        }

        if (!Enum.IsDefined(score))
        {
            throw new ArgumentOutOfRangeException(nameof(score), score, "score must be a defined SoftmaxScore.");
        }

        if (score is SoftmaxScore.MaxLogit or SoftmaxScore.Energy && model.OutputKind == OutputKind.Probabilities)
        {
            throw new ArgumentException($"{score} needs logits; the model outputs probabilities.", nameof(score));
        }

        Score = score;
    }

    /// <summary>Gets the score this estimator reports.</summary>
    public SoftmaxScore Score { get; }

    /// <inheritdoc />
    public string Name => Score.ToString();

    /// <inheritdoc />
    public Requirements Requirements => Requirements.None;

    /// <inheritdoc />
    public void Fit(FitData data)
    {
        ArgumentNullException.ThrowIfNull(data);
    }

    /// <inheritdoc />
    public UncertaintyEstimate Estimate(Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        using var output = model.Forward(inputs);
        var probabilities = ProbabilityConversion.ToProbabilities(output.Logits, model.OutputKind);
        var scores = SoftmaxScores.Compute(Score, output.Logits, model.OutputKind);
        if (scores.dim() == 1)
        {
            return new UncertaintyEstimate(probabilities.MoveToOuterDisposeScope(), scores.MoveToOuterDisposeScope());
        }

        var perImage = scores.flatten(1).mean(new long[] { 1 });
        return new UncertaintyEstimate(
            probabilities.MoveToOuterDisposeScope(), perImage.MoveToOuterDisposeScope(), scores.MoveToOuterDisposeScope());
    }
}
