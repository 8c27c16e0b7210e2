using FluentAssertions;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Latent;

public sealed class AshEstimatorTests
{
    public static TheoryData<string, AshVariant, double> Variants => new()
    {
        { "P60", AshVariant.Prune, 60 },
        { "B65", AshVariant.Binarize, 65 },
        { "S90", AshVariant.Scale, 90 },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Estimate_WithoutFit_ScoresAsTheDetectorAndThePyTorchReference(string golden, AshVariant variant, double percentile)
    {
        using var queries = WhiteBoxGolden.Queries();
        using var weight = WhiteBoxGolden.Weight();
        using var bias = WhiteBoxGolden.Bias();
        var options = new AshOptions { Variant = variant, Percentile = percentile };
        using var estimator = new AshEstimator(FinalLayerCases.Model, weight, bias, options);
        using var detector = AshDetector.Create(weight, bias, options);
        using var expected = detector.Score(queries);

        FinalLayerCases.ShouldScoreAsDetector(estimator, queries, expected, Golden.Vector(WhiteBoxGolden.Reference.GetProperty("ash").GetProperty(golden)), 1e-12);
    }

    [Fact]
    public void NameRequirementsFitAndToString_DescribeAnEstimatorWithNothingToFit()
    {
        using var weight = WhiteBoxGolden.Weight();
        var estimator = new AshEstimator(FinalLayerCases.Model, weight);

        estimator.Name.Should().Be("ASH");
        estimator.Requirements.Should().Be(Requirements.Features);
        estimator.Detector.Options.Should().Be(AshOptions.Default);
        estimator.ToString().Should().Be($"AshEstimator({estimator.Detector})");
        FluentActions.Invoking(() => estimator.Fit(new FitData())).Should().NotThrow();
        FluentActions.Invoking(() => estimator.Fit(new FitData(), null, new System.Threading.CancellationToken(canceled: true))).Should().Throw<System.OperationCanceledException>();
        FluentActions.Invoking(() => estimator.Fit(null!)).Should().Throw<System.ArgumentNullException>().WithParameterName("data");
        estimator.Dispose();
        estimator.ToString().Should().Be("AshEstimator(disposed)");
        FluentActions.Invoking(() => estimator.Estimate(weight)).Should().Throw<System.ObjectDisposedException>();
    }
}
