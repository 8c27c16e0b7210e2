using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Models;
using Uqlib.Scores;
using Xunit;

namespace Uqlib.Tests;

public sealed class OutputKindTests
{
    public static TheoryData<OutputKind> RegressionKinds => new() { OutputKind.Regression, OutputKind.GaussianRegression };

    [Theory]
    [MemberData(nameof(RegressionKinds))]
    public void ToProbabilities_OfRegressionOutput_ThrowsNamingTheKind(OutputKind kind)
    {
        using var output = torch.randn(5, 2);
        var act = () => ProbabilityConversion.ToProbabilities(output, kind);
        act.Should().Throw<ArgumentException>().WithParameterName("kind")
            .WithMessage($"A regression output has no class probabilities; found kind {kind}*");
    }

    [Theory]
    [MemberData(nameof(RegressionKinds))]
    public void SoftmaxScores_OfRegressionOutput_Throw(OutputKind kind)
    {
        using var output = torch.randn(5, 2);
        foreach (var score in Enum.GetValues<SoftmaxScore>())
        {
            var act = () => SoftmaxScores.Compute(score, output, kind);
            act.Should().Throw<ArgumentException>().WithMessage($"*{kind}*", $"{score} has no meaning for a regression output");
        }
    }

    [Theory]
    [MemberData(nameof(RegressionKinds))]
    public void SoftmaxEstimator_OfRegressionModel_Throws(OutputKind kind)
    {
        var model = new DelegateModel(x => x.clone(), kind);
        var act = () => new SoftmaxEstimator(model);
        act.Should().Throw<ArgumentException>().WithParameterName("model").WithMessage("*found a regression model*");
    }
}
