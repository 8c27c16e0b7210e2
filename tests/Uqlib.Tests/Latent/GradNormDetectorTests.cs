using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class GradNormDetectorTests
{
    [Theory]
    [InlineData(1.0, "gradNorm")]
    [InlineData(2.0, "gradNormT2")]
    public void Score_MatchesPyTorchAutogradOfTheKlDivergence(double temperature, string key)
    {
        using var w = WhiteBoxGolden.Weight();
        using var b = WhiteBoxGolden.Bias();
        using var q = WhiteBoxGolden.Queries();
        using var detector = GradNormDetector.Create(w, b, temperature);
        using var scores = detector.Score(q);
        using var norms = detector.GradientNorms(q);

        WhiteBoxGolden.Close(Golden.ToArray(scores), WhiteBoxGolden.Expected(key), 1e-12).Should().BeTrue();
        using var sum = scores.add(norms);
        sum.abs().max().ToDouble().Should().Be(0);
    }

    [Fact]
    public void Create_OneClass_Throws()
    {
        using var w = torch.ones(1, 16, dtype: ScalarType.Float64);

        FluentActions.Invoking(() => GradNormDetector.Create(w)).Should().Throw<ArgumentException>().WithParameterName("weight").WithMessage("*at least 2*");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(double.NaN)]
    [InlineData(2e6)]
    public void Create_TemperatureOutOfRange_Throws(double temperature)
    {
        using var w = WhiteBoxGolden.Weight();

        FluentActions.Invoking(() => GradNormDetector.Create(w, null, temperature)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("temperature");
    }

    [Fact]
    public void ToString_NamesTemperatureAndShape()
    {
        using var w = WhiteBoxGolden.Weight();
        using var detector = GradNormDetector.Create(w);

        detector.ToString().Should().Be("GradNormDetector(T=1, classes=5, features=16)");
    }
}
