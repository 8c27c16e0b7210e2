using System;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Ensembles;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Ensembles;

public sealed class EnsembleScoresTests
{
    private const double Tolerance = 1e-12;

    private static readonly JsonElement Reference = Golden.Load("ensemble_scores.json");

    private static readonly (EnsembleScore Score, string Key)[] Measures =
    {
        (EnsembleScore.PredictiveEntropy, "predictiveEntropy"),
        (EnsembleScore.ExpectedEntropy, "expectedEntropy"),
        (EnsembleScore.MutualInformation, "mutualInformation"),
        (EnsembleScore.Variance, "variance"),
        (EnsembleScore.TotalVariance, "totalVariance"),
        (EnsembleScore.Disagreement, "disagreement"),
        (EnsembleScore.ExpectedPairwiseKL, "expectedPairwiseKL"),
    };

    public static TheoryData<int> Cases => new() { 0, 1, 2 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Compute_EveryMeasure_MatchesNumPy(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        using var p = GoldenArrays.Tensor(golden.GetProperty("probabilities"));
        foreach (var (score, key) in Measures)
        {
            using var actual = EnsembleScores.Compute(score, p);
            Golden.ToArray(actual).Should().Equal(GoldenArrays.Flat(golden.GetProperty(key)), (a, b) => Math.Abs(a - b) < Tolerance, score.ToString());
        }
    }

    [Fact]
    public void NamedFunctions_EqualCompute()
    {
        using var p = GoldenArrays.Tensor(Reference.GetProperty("cases")[0].GetProperty("probabilities"));
        var named = new Func<Tensor, Tensor>[]
        {
            EnsembleScores.PredictiveEntropy, EnsembleScores.ExpectedEntropy, EnsembleScores.MutualInformation, EnsembleScores.Variance,
            EnsembleScores.TotalVariance, EnsembleScores.Disagreement, EnsembleScores.ExpectedPairwiseKL,
        };
        for (var i = 0; i < named.Length; i++)
        {
            using var a = named[i](p);
            using var b = EnsembleScores.Compute(Measures[i].Score, p);
            a.allclose(b, rtol: 0, atol: 0).Should().BeTrue(Measures[i].Score.ToString());
        }
    }

    [Fact]
    public void Compute_Segmentation_GivesPerPixelMapsMatchingNumPy()
    {
        var golden = Reference.GetProperty("segmentation");
        using var p = GoldenArrays.Tensor(golden.GetProperty("probabilities"));
        foreach (var (score, key) in Measures)
        {
            using var actual = EnsembleScores.Compute(score, p);
            actual.shape.Should().Equal(2L, 3L, 4L);
            Golden.ToArray(actual).Should().Equal(GoldenArrays.Flat(golden.GetProperty(key)), (a, b) => Math.Abs(a - b) < Tolerance, score.ToString());
        }
    }

    [Fact]
    public void BinaryStandardDeviation_MatchesNumPy()
    {
        var golden = Reference.GetProperty("binary");
        using var p = GoldenArrays.Tensor(golden.GetProperty("positive"));
        using var std = EnsembleScores.BinaryStandardDeviation(p);
        Golden.ToArray(std).Should().Equal(GoldenArrays.Flat(golden.GetProperty("std")), (a, b) => Math.Abs(a - b) < Tolerance);
    }

    [Fact]
    public void RegressionVariances_MatchNumPy()
    {
        var golden = Reference.GetProperty("regression");
        using var means = GoldenArrays.Tensor(golden.GetProperty("means"));
        using var variances = GoldenArrays.Tensor(golden.GetProperty("variances"));
        using var ofMeans = EnsembleScores.RegressionVariance(means);
        using var total = EnsembleScores.RegressionTotalVariance(means, variances);
        Golden.ToArray(ofMeans).Should().Equal(GoldenArrays.Flat(golden.GetProperty("varianceOfMeans")), (a, b) => Math.Abs(a - b) < 1e-10);
        Golden.ToArray(total).Should().Equal(GoldenArrays.Flat(golden.GetProperty("totalVariance")), (a, b) => Math.Abs(a - b) < 1e-10);
    }

    [Fact]
    public void MutualInformation_RandomEnsembles_IsNonNegativeAndDecomposesPredictiveEntropy()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            using var scope = torch.NewDisposeScope();
            var p = torch.randn(new long[] { 2 + (seed % 5), 50, 2 + (seed % 7) }, dtype: ScalarType.Float64, generator: torch.manual_seed(seed)).mul(3.0).softmax(2);
            var mi = EnsembleScores.MutualInformation(p);
            var total = EnsembleScores.PredictiveEntropy(p);
            var expected = EnsembleScores.ExpectedEntropy(p);
            mi.min().ToDouble().Should().BeGreaterThanOrEqualTo(0.0);
            mi.max().ToDouble().Should().BeLessThanOrEqualTo(Math.Log(p.shape[0]) + 1e-12);
            mi.add(expected).allclose(total, rtol: 0, atol: 1e-12).Should().BeTrue();
            expected.le(total.add(1e-12)).all().item<bool>().Should().BeTrue("expected entropy never exceeds predictive entropy");
            EnsembleScores.TotalVariance(p).max().ToDouble().Should().BeLessThanOrEqualTo(1.0);
            EnsembleScores.Variance(p).max().ToDouble().Should().BeLessThanOrEqualTo(0.25);
            EnsembleScores.ExpectedPairwiseKL(p).min().ToDouble().Should().BeGreaterThanOrEqualTo(0.0);
            var disagreement = EnsembleScores.Disagreement(p);
            disagreement.min().ToDouble().Should().BeGreaterThanOrEqualTo(0.0);
            disagreement.max().ToDouble().Should().BeLessThan(1.0);
        }
    }

    [Fact]
    public void EveryVariabilityMeasure_IdenticalMembers_IsZero()
    {
        using var scope = torch.NewDisposeScope();
        var one = torch.randn(new long[] { 1, 30, 4 }, dtype: ScalarType.Float64, generator: torch.manual_seed(3)).softmax(2);
        var p = one.expand(5, 30, 4);
        foreach (var score in new[] { EnsembleScore.MutualInformation, EnsembleScore.Variance, EnsembleScore.TotalVariance, EnsembleScore.Disagreement, EnsembleScore.ExpectedPairwiseKL })
        {
            EnsembleScores.Compute(score, p).abs().max().ToDouble().Should().BeLessThan(1e-12, score.ToString());
        }

        EnsembleScores.BinaryStandardDeviation(p.select(2, 1)).abs().max().ToDouble().Should().BeLessThan(1e-12);
        EnsembleScores.RegressionVariance(p.select(2, 0)).abs().max().ToDouble().Should().BeLessThan(1e-12);
    }

    [Fact]
    public void Measures_ConfidentMembersDisagreeingCompletely_ReachTheirBounds()
    {
        // Two one-hot members on different classes: MI = log 2, disagreement 1/2, variance of the predicted class 1/4.
        using var p = torch.tensor(new double[] { 1, 0, 0, 1 }).reshape(2, 1, 2);
        using var mi = EnsembleScores.MutualInformation(p);
        using var disagreement = EnsembleScores.Disagreement(p);
        using var variance = EnsembleScores.Variance(p);
        using var total = EnsembleScores.TotalVariance(p);
        mi.ToDouble().Should().BeApproximately(Math.Log(2), 1e-15);
        disagreement.ToDouble().Should().Be(0.5);
        variance.ToDouble().Should().Be(0.25);
        total.ToDouble().Should().Be(0.5);
    }

    [Fact]
    public void Compute_Float32_AgreesWithFloat64()
    {
        using var scope = torch.NewDisposeScope();
        var p64 = torch.randn(new long[] { 5, 40, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(11)).softmax(2);
        var p32 = p64.to(ScalarType.Float32);
        foreach (var (score, _) in Measures)
        {
            var a = EnsembleScores.Compute(score, p32);
            a.dtype.Should().Be(ScalarType.Float64);
            a.allclose(EnsembleScores.Compute(score, p64), rtol: 0, atol: 1e-5).Should().BeTrue(score.ToString());
        }
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Compute_NonFinite_ThrowsNamingTheArgument(double bad)
    {
        using var p = torch.full(new long[] { 3, 4, 2 }, 0.5, dtype: ScalarType.Float64);
        p[1, 2, 0] = bad;
        var act = () => EnsembleScores.MutualInformation(p);
        act.Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*value*");
    }

    [Fact]
    public void Compute_NotProbabilities_Throws()
    {
        using var p = torch.full(new long[] { 3, 4, 2 }, 0.7, dtype: ScalarType.Float64);
        var act = () => EnsembleScores.PredictiveEntropy(p);
        act.Should().Throw<ArgumentException>().WithMessage("*sum to 1*");
    }

    [Fact]
    public void Compute_OneMember_ThrowsSayingAnEnsembleOfOneHasNoVariability()
    {
        using var p = torch.full(new long[] { 1, 4, 2 }, 0.5, dtype: ScalarType.Float64);
        var act = () => EnsembleScores.MutualInformation(p);
        act.Should().Throw<ArgumentException>().WithParameterName("probabilities").WithMessage("*at least 2 members*found shape (1, 4, 2)*");
    }

    [Fact]
    public void Compute_EmptyOrWrongRank_Throws()
    {
        using var noSamples = torch.zeros(3, 0, 2);
        using var noMembers = torch.zeros(0, 4, 2);
        using var rank2 = torch.full(new long[] { 3, 2 }, 0.5);
        ((Action)(() => EnsembleScores.Variance(noSamples))).Should().Throw<ArgumentException>().WithMessage("*empty*");
        ((Action)(() => EnsembleScores.Variance(noMembers))).Should().Throw<ArgumentException>().WithMessage("*empty*");
        ((Action)(() => EnsembleScores.Variance(rank2))).Should().Throw<ArgumentException>().WithMessage("*rank 3 to 9*");
        ((Action)(() => EnsembleScores.Variance(null!))).Should().Throw<ArgumentNullException>();
        ((Action)(() => EnsembleScores.Compute((EnsembleScore)99, rank2))).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void RegressionTotalVariance_BadVariances_Throw()
    {
        using var means = torch.zeros(3, 4, dtype: ScalarType.Float64);
        using var shorter = torch.ones(3, 5, dtype: ScalarType.Float64);
        using var negative = torch.full(new long[] { 3, 4 }, -0.1, dtype: ScalarType.Float64);
        using var nan = torch.full(new long[] { 3, 4 }, double.NaN, dtype: ScalarType.Float64);
        ((Action)(() => EnsembleScores.RegressionTotalVariance(means, shorter))).Should().Throw<ArgumentException>().WithParameterName("variances").WithMessage("*shape*");
        ((Action)(() => EnsembleScores.RegressionTotalVariance(means, negative))).Should().Throw<ArgumentException>().WithMessage("*at least 0*");
        ((Action)(() => EnsembleScores.RegressionTotalVariance(means, nan))).Should().Throw<ArgumentException>().WithMessage("*NaN*");
        ((Action)(() => EnsembleScores.RegressionVariance(nan))).Should().Throw<ArgumentException>().WithParameterName("means");
    }

    [Fact]
    public void BinaryStandardDeviation_OutOfRange_Throws()
    {
        using var p = torch.full(new long[] { 3, 4 }, 1.5, dtype: ScalarType.Float64);
        var act = () => EnsembleScores.BinaryStandardDeviation(p);
        act.Should().Throw<ArgumentException>().WithParameterName("positiveProbabilities").WithMessage("*[0, 1]*");
    }

    [Fact]
    public void Compute_LeaksNoTensor_AndLeavesInputAlive()
    {
        using var p = torch.randn(new long[] { 4, 10, 3 }, generator: torch.manual_seed(1)).softmax(2);
        var before = LiveTensors.Count;
        foreach (var (score, _) in Measures)
        {
            EnsembleScores.Compute(score, p).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
        p.IsInvalid.Should().BeFalse();
    }
}
