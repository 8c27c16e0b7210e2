using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Models;
using Uqlib.Scores;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Calibration;

public sealed class SoftmaxEstimatorTests
{
    [Fact]
    public void Estimate_GivesProbabilitiesAndTheChosenScore()
    {
        var model = new DelegateModel(x => x.mul(2), OutputKind.MulticlassLogits);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.Entropy);
        using var inputs = torch.randn(6, 3, generator: torch.manual_seed(9), dtype: ScalarType.Float64);
        using var estimate = estimator.Estimate(inputs);

        using var logits = inputs.mul(2);
        using var expectedP = logits.softmax(1);
        using var expectedScores = SoftmaxScores.Entropy(expectedP);
        estimate.Probabilities.allclose(expectedP).Should().BeTrue();
        estimate.Scores.allclose(expectedScores).Should().BeTrue();
        estimate.Map.Should().BeNull();
        estimator.Name.Should().Be("Entropy");
        estimator.Requirements.Should().Be(Requirements.None);
    }

    [Fact]
    public void Estimate_OfSegmentation_GivesMapAndItsMean()
    {
        var model = new DelegateModel(x => x, OutputKind.MulticlassLogits);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.MaxProbability);
        using var inputs = torch.randn(2, 3, 4, 4, generator: torch.manual_seed(2));
        using var estimate = estimator.Estimate(inputs);

        estimate.Map!.shape.Should().Equal(2, 4, 4);
        using var mean = estimate.Map.mean(new long[] { 1, 2 });
        estimate.Scores.allclose(mean).Should().BeTrue();
    }

    [Fact]
    public void Estimate_OfBinaryModel_DistanceToHardLabel()
    {
        var model = new DelegateModel(x => x, OutputKind.BinaryLogit);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.DistanceToHardLabel);
        using var inputs = torch.tensor(new double[] { 0, 20, -20 });
        using var estimate = estimator.Estimate(inputs);
        Golden.ToArray(estimate.Scores).Should().Equal(new[] { 0.5, 0, 0 }, (a, b) => Math.Abs(a - b) < 1e-8);
    }

    [Fact]
    public void Constructor_RefusesRegressionAndLogitScoresOfProbabilities()
    {
        var regression = new DelegateModel(x => x, OutputKind.Regression);
        var probabilities = new DelegateModel(x => x, OutputKind.Probabilities);
        ((Action)(() => new SoftmaxEstimator(regression))).Should().Throw<ArgumentException>().WithParameterName("model");
        ((Action)(() => new SoftmaxEstimator(probabilities, SoftmaxScore.Energy))).Should().Throw<ArgumentException>().WithParameterName("score");
        ((Action)(() => new SoftmaxEstimator(null!))).Should().Throw<ArgumentNullException>();
    }
}
