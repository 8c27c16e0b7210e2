using FluentAssertions;
using Uqlib.Latent;
using Xunit;

namespace Uqlib.Tests.Latent;

public sealed class GradNormEstimatorTests
{
    [Theory]
    [InlineData("gradNorm", 1.0)]
    [InlineData("gradNormT2", 2.0)]
    public void Estimate_WithoutFit_ScoresAsTheDetectorAndThePyTorchAutogradReference(string golden, double temperature)
    {
        using var queries = WhiteBoxGolden.Queries();
        using var weight = WhiteBoxGolden.Weight();
        using var bias = WhiteBoxGolden.Bias();
        using var estimator = new GradNormEstimator(FinalLayerCases.Model, weight, bias, temperature);
        using var detector = GradNormDetector.Create(weight, bias, temperature);
        using var expected = detector.Score(queries);

        FinalLayerCases.ShouldScoreAsDetector(estimator, queries, expected, WhiteBoxGolden.Expected(golden), 1e-12);
    }

    [Fact]
    public void NameRequirementsFitAndToString_DescribeAnEstimatorWithNothingToFit()
    {
        using var weight = WhiteBoxGolden.Weight();
        var estimator = GradNormEstimator.FromLinear(FinalLayerCases.Model, TorchSharp.torch.nn.Linear(16, 5));

        estimator.Name.Should().Be("GradNorm");
        estimator.Requirements.Should().Be(Requirements.Features);
        estimator.Detector.Temperature.Should().Be(1.0);
        estimator.ToString().Should().Be($"GradNormEstimator({estimator.Detector})");
        FluentActions.Invoking(() => estimator.Fit(new FitData())).Should().NotThrow();
        FluentActions.Invoking(() => new GradNormEstimator(FinalLayerCases.Model, weight, null, 0)).Should().Throw<System.ArgumentOutOfRangeException>().WithParameterName("temperature");
        estimator.Dispose();
        estimator.ToString().Should().Be("GradNormEstimator(disposed)");
    }
}
