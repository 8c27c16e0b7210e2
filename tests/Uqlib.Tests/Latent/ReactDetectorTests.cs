using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class ReactDetectorTests
{
    [Fact]
    public void Fit_ThresholdIsNumpyPercentile_AndScoreMatchesReference()
    {
        using var train = WhiteBoxGolden.Train();
        using var w = WhiteBoxGolden.Weight();
        using var b = WhiteBoxGolden.Bias();
        using var q = WhiteBoxGolden.Queries();
        using var detector = ReactDetector.Fit(train, w, b);
        using var scores = detector.Score(q);

        detector.Threshold.Should().BeApproximately(WhiteBoxGolden.Reference.GetProperty("reactThreshold").GetDouble(), 1e-12);
        detector.Percentile.Should().Be(90);
        detector.Count.Should().Be(120);
        scores.dtype.Should().Be(ScalarType.Float64);
        WhiteBoxGolden.Close(Golden.ToArray(scores), WhiteBoxGolden.Expected("react"), 1e-12).Should().BeTrue();
    }

    [Fact]
    public void Score_PercentileHundred_IsNegativeEnergy()
    {
        using var train = WhiteBoxGolden.Train();
        using var w = WhiteBoxGolden.Weight();
        using var b = WhiteBoxGolden.Bias();
        using var q = train.narrow(0, 0, 5);
        using var detector = ReactDetector.Fit(train, w, b, new ReactOptions { Percentile = 100 });
        using var scores = detector.Score(q);
        using var energy = torch.nn.functional.linear(q, w, b).logsumexp(1).neg();

        scores.allclose(energy, rtol: 1e-12, atol: 0).Should().BeTrue("nothing in the training data lies above its maximum");
    }

    [Theory]
    [InlineData(50.0, 0.5)]
    [InlineData(30.0, 0.0)]
    [InlineData(70.0, 1.0)]
    public void Fit_TiedActivations_ThresholdIsNumpysPercentile(double percentile, double expected)
    {
        using var train = torch.tensor(new double[] { 1, 0, 2, 0, 1, 0 }).reshape(6, 1);
        using var w = torch.ones(2, 1, dtype: ScalarType.Float64);
        using var detector = ReactDetector.Fit(train, w, null, new ReactOptions { Percentile = percentile });

        detector.Threshold.Should().Be(expected, "numpy.percentile([0, 0, 0, 1, 1, 2], p) with linear interpolation");
    }

    [Fact]
    public void Score_Float32Features_AreScoredInFloat64()
    {
        using var train = WhiteBoxGolden.Train();
        using var w = WhiteBoxGolden.Weight();
        using var q = WhiteBoxGolden.Queries();
        using var q32 = q.to(ScalarType.Float32);
        using var detector = ReactDetector.Fit(train, w);
        using var exact = detector.Score(q32.to(ScalarType.Float64));
        using var scores = detector.Score(q32);

        scores.dtype.Should().Be(ScalarType.Float64);
        scores.allclose(exact, rtol: 1e-14, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Fit_NaNFeatures_Throws()
    {
        using var train = WhiteBoxGolden.Train();
        using var w = WhiteBoxGolden.Weight();
        train[3, 2] = torch.tensor(double.NaN);

        var act = () => ReactDetector.Fit(train, w);

        act.Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("*NaN*");
    }

    [Fact]
    public void Fit_WeightShapeMismatch_Throws()
    {
        using var train = WhiteBoxGolden.Train();
        using var w = torch.ones(5, 15, dtype: ScalarType.Float64);

        var act = () => ReactDetector.Fit(train, w);

        act.Should().Throw<ArgumentException>().WithParameterName("weight").WithMessage("*(C, 16)*(5, 15)*");
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(100.5)]
    [InlineData(double.NaN)]
    public void Fit_PercentileOutOfRange_Throws(double percentile)
    {
        using var train = WhiteBoxGolden.Train();
        using var w = WhiteBoxGolden.Weight();

        var act = () => ReactDetector.Fit(train, w, null, new ReactOptions { Percentile = percentile });

        act.Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*Percentile must be in [0, 100]*");
    }

    [Fact]
    public void Score_WrongDimensionOrEmpty_Throws()
    {
        using var detector = Fitted();
        using var wrong = torch.ones(2, 15);
        using var empty = torch.ones(0, 16);

        FluentActions.Invoking(() => detector.Score(wrong)).Should().Throw<ArgumentException>().WithMessage("*dimension 16*(2, 15)*");
        FluentActions.Invoking(() => detector.Score(empty)).Should().Throw<ArgumentException>().WithMessage("*empty*");
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalScores_AndCorruptionIsRefused()
    {
        using var detector = Fitted();
        using var q = WhiteBoxGolden.Queries();

        SavedFiles.ShouldRoundTripScores_AndRefuseCorruptions(detector, detector.Save, ReactDetector.Load, (d, x) => d.Score(x), q, "ReactDetector");
    }

    [Fact]
    public void ToString_NamesThresholdPercentileAndCount()
    {
        using var detector = Fitted();

        detector.ToString().Should().MatchRegex(@"^ReactDetector\(threshold=[0-9.]+, percentile=90, n=120\)$");
    }

    private static ReactDetector Fitted()
    {
        using var train = WhiteBoxGolden.Train();
        using var w = WhiteBoxGolden.Weight();
        using var b = WhiteBoxGolden.Bias();
        return ReactDetector.Fit(train, w, b);
    }
}
