using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class DiceDetectorTests
{
    [Fact]
    public void Fit_MaskAndScore_MatchAuthorsCode()
    {
        using var detector = Fitted();
        using var q = WhiteBoxGolden.Queries();
        using var scores = detector.Score(q);
        using var masked = detector.MaskedWeight;
        using var mask = masked.ne(0).to(ScalarType.Float64);
        using var expectedMask = Golden.MatrixTensor(WhiteBoxGolden.Reference.GetProperty("diceMask"));

        detector.Threshold.Should().BeApproximately(WhiteBoxGolden.Reference.GetProperty("diceThreshold").GetDouble(), 1e-14);
        mask.allclose(expectedMask, rtol: 0, atol: 0).Should().BeTrue();
        mask.sum().ToDouble().Should().Be(8, "10 % of the 80 weights are kept");
        WhiteBoxGolden.Close(Golden.ToArray(scores), WhiteBoxGolden.Expected("dice"), 1e-12).Should().BeTrue();
    }

    [Fact]
    public void Fit_ZeroSparsity_KeepsEveryWeightAboveTheMinimumContribution()
    {
        using var train = WhiteBoxGolden.Train();
        using var w = WhiteBoxGolden.Weight();
        using var detector = DiceDetector.Fit(train, w, null, new DiceOptions { Sparsity = 0 });
        using var masked = detector.MaskedWeight;

        masked.ne(0).sum().ToInt64().Should().Be(79, "only the smallest contribution is not strictly above the 0th percentile");
    }

    [Theory]
    [InlineData(100.0)]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    public void Fit_SparsityOutOfRange_Throws(double sparsity)
    {
        using var train = WhiteBoxGolden.Train();
        using var w = WhiteBoxGolden.Weight();

        var act = () => DiceDetector.Fit(train, w, null, new DiceOptions { Sparsity = sparsity });

        act.Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*Sparsity must be in [0, 100)*");
    }

    [Fact]
    public void Fit_BiasLengthMismatch_Throws()
    {
        using var train = WhiteBoxGolden.Train();
        using var w = WhiteBoxGolden.Weight();
        using var b = torch.zeros(4, dtype: ScalarType.Float64);

        FluentActions.Invoking(() => DiceDetector.Fit(train, w, b)).Should().Throw<ArgumentException>().WithParameterName("bias");
    }

    [Fact]
    public void Score_Infinite_Throws()
    {
        using var detector = Fitted();
        using var q = WhiteBoxGolden.Queries();
        q[0, 0] = torch.tensor(double.PositiveInfinity);

        FluentActions.Invoking(() => detector.Score(q)).Should().Throw<ArgumentException>().WithMessage("*infinite*");
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalScores_AndCorruptionIsRefused()
    {
        using var detector = Fitted();
        using var q = WhiteBoxGolden.Queries();

        SavedFiles.ShouldRoundTripScores_AndRefuseCorruptions(detector, detector.Save, DiceDetector.Load, (d, x) => d.Score(x), q, "DiceDetector");
    }

    [Fact]
    public void ToString_NamesSparsityThresholdAndCount()
    {
        using var detector = Fitted();

        detector.ToString().Should().MatchRegex(@"^DiceDetector\(sparsity=90, threshold=[0-9.eE-]+, n=120\)$");
    }

    private static DiceDetector Fitted()
    {
        using var train = WhiteBoxGolden.Train();
        using var w = WhiteBoxGolden.Weight();
        using var b = WhiteBoxGolden.Bias();
        return DiceDetector.Fit(train, w, b);
    }
}
