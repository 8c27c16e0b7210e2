using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class AshDetectorTests
{
    [Theory]
    [InlineData(AshVariant.Prune, 60.0, "P60")]
    [InlineData(AshVariant.Binarize, 65.0, "B65")]
    [InlineData(AshVariant.Scale, 90.0, "S90")]
    [InlineData(AshVariant.Scale, 50.0, "S50")]
    public void Score_MatchesAuthorsCode(AshVariant variant, double percentile, string key)
    {
        using var w = WhiteBoxGolden.Weight();
        using var b = WhiteBoxGolden.Bias();
        using var q = WhiteBoxGolden.Queries();
        using var detector = AshDetector.Create(w, b, new AshOptions { Variant = variant, Percentile = percentile });
        using var scores = detector.Score(q);

        var expected = Golden.Vector(WhiteBoxGolden.Reference.GetProperty("ash").GetProperty(key));
        WhiteBoxGolden.Close(Golden.ToArray(scores), expected, 1e-12).Should().BeTrue();
    }

    [Theory]
    [InlineData(AshVariant.Prune, 60.0)]
    [InlineData(AshVariant.Binarize, 65.0)]
    [InlineData(AshVariant.Scale, 90.0)]
    public void Options_DefaultPercentile_IsThePapersPerVariant(AshVariant variant, double expected)
    {
        new AshOptions { Variant = variant }.EffectivePercentile.Should().Be(expected);
        AshOptions.Default.Variant.Should().Be(AshVariant.Scale);
    }

    [Fact]
    public void Kept_RoundsAsNumpyAndKeepsAtLeastOne()
    {
        using var w = torch.ones(3, 16, dtype: ScalarType.Float64);
        using var s90 = AshDetector.Create(w);
        using var p99 = AshDetector.Create(w, null, new AshOptions { Variant = AshVariant.Prune, Percentile = 99 });
        using var wide = torch.ones(3, 10, dtype: ScalarType.Float64);
        using var half = AshDetector.Create(wide, null, new AshOptions { Percentile = 25 });

        s90.Kept.Should().Be(2, "16 − round(14.4)");
        p99.Kept.Should().Be(1, "16 − round(15.84) = 0 is raised to 1");
        half.Kept.Should().Be(8, "10 − round(2.5) with round-half-to-even = 10 − 2");
    }

    [Fact]
    public void Shape_KeepsTheLargestActivations_AndBinarizePreservesTheRowSum()
    {
        using var w = WhiteBoxGolden.Weight();
        using var q = WhiteBoxGolden.Queries();
        using var prune = AshDetector.Create(w, null, new AshOptions { Variant = AshVariant.Prune, Percentile = 75 });
        using var binarize = AshDetector.Create(w, null, new AshOptions { Variant = AshVariant.Binarize, Percentile = 75 });
        using var pruned = prune.Shape(q);
        using var binary = binarize.Shape(q);

        using var nonzero = pruned.ne(0).sum(1);
        Golden.ToArray(nonzero).Should().AllSatisfy(n => n.Should().Be(4));
        using var kept = pruned.amin(new long[] { 1 });
        using var rowSums = q.sum(1);
        using var binarySums = binary.sum(1);
        binarySums.allclose(rowSums, rtol: 1e-12, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Score_NaN_Throws()
    {
        using var w = WhiteBoxGolden.Weight();
        using var detector = AshDetector.Create(w);
        using var q = WhiteBoxGolden.Queries();
        q[1, 2] = torch.tensor(double.NaN);

        FluentActions.Invoking(() => detector.Score(q)).Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("*NaN*row 1*");
    }

    [Fact]
    public void Score_AllZeroRow_IsNotScaledAndIsFinite()
    {
        using var w = WhiteBoxGolden.Weight();
        using var b = WhiteBoxGolden.Bias();
        using var detector = AshDetector.Create(w, b);
        using var zeros = torch.zeros(1, 16, dtype: ScalarType.Float64);
        using var scores = detector.Score(zeros);
        using var expected = b.logsumexp(0).neg();

        scores[0].ToDouble().Should().BeApproximately(expected.ToDouble(), 1e-12);
    }

    [Theory]
    [InlineData(100.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Create_PercentileOutOfRange_Throws(double percentile)
    {
        using var w = WhiteBoxGolden.Weight();

        var act = () => AshDetector.Create(w, null, new AshOptions { Percentile = percentile });

        act.Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*Percentile must be in [0, 100)*");
    }

    [Fact]
    public void ToString_NamesVariantPercentileAndK()
    {
        using var w = WhiteBoxGolden.Weight();
        using var detector = AshDetector.Create(w);

        detector.ToString().Should().Be("AshDetector(variant=Scale, percentile=90, k=2 of 16)");
    }
}
