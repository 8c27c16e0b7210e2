using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class RelativeMahalanobisDetectorTests
{
    public static TheoryData<int, string> GoldenCases => new()
    {
        { 0, "empirical" },
        { 0, "ledoitWolf" },
        { 1, "ledoitWolf" },
    };

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Score_MatchesScikitLearnAndScipy(int index, string kind)
    {
        var golden = LatentCases.Case(index);
        var method = kind == "empirical" ? CovarianceMethod.Empirical : CovarianceMethod.LedoitWolf;
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var q = LatentCases.Queries(golden);
        using var detector = RelativeMahalanobisDetector.Fit(x, y, LatentCases.Classes(golden), method);
        using var scores = detector.Score(q);
        using var backgroundDetector = detector.Background;
        using var background = backgroundDetector.Score(q);
        var expected = golden.GetProperty(kind);

        // The relative score is a difference of two distances: compare with tolerance relative to the distances' size.
        var mahalanobis = Golden.Vector(expected.GetProperty("mahalanobis"));
        var expectedScores = Golden.Vector(expected.GetProperty("relativeMahalanobis"));
        var actual = Golden.ToArray(scores);
        for (var i = 0; i < actual.Length; i++)
        {
            actual[i].Should().BeApproximately(expectedScores[i], 1e-8 * Math.Max(1.0, mahalanobis[i]));
        }

        Golden.ToArray(background).Should().Equal(Golden.Vector(expected.GetProperty("background")), (a, b) => LatentCases.CloseRelative(a, b, 1e-8));
    }

    [Fact]
    public void Score_EqualsMahalanobisMinusBackground()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var q = LatentCases.Queries(golden);
        using var relative = RelativeMahalanobisDetector.Fit(x, y, 3, CovarianceMethod.Empirical);
        using var classes = MahalanobisDetector.Fit(x, y, 3, CovarianceMethod.Empirical);
        using var background = MahalanobisDetector.FitClassAgnostic(x, CovarianceMethod.Empirical);
        using var scores = relative.Score(q);
        using var md = classes.Score(q);
        using var md0 = background.Score(q);
        using var expected = md.sub(md0);

        scores.allclose(expected, rtol: 0, atol: 1e-9).Should().BeTrue();
    }

    [Fact]
    public void Score_DimensionMismatch_Throws()
    {
        using var detector = FitSmall();
        using var q = torch.ones(2, 7);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithMessage("*dimension 6*");
    }

    [Fact]
    public void Score_NaN_Throws()
    {
        using var detector = FitSmall();
        using var q = torch.ones(2, 6);
        q[1, 1] = torch.tensor(float.NaN);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithMessage("*NaN*");
    }

    [Fact]
    public void Score_Empty_Throws()
    {
        using var detector = FitSmall();
        using var q = torch.ones(0, 6);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithMessage("*empty*");
    }

    [Fact]
    public void Score_Infinite_Throws()
    {
        using var detector = FitSmall();
        using var q = torch.ones(2, 6);
        q[0, 1] = torch.tensor(float.NegativeInfinity);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithMessage("*infinite*");
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalScores_AndCorruptionIsRefused()
    {
        var golden = LatentCases.Case(0);
        using var detector = FitSmall();
        using var q = LatentCases.Queries(golden);
        var path = Path.GetTempFileName();
        try
        {
            detector.Save(path);
            using (var loaded = RelativeMahalanobisDetector.Load(path))
            {
                using var expected = detector.Score(q);
                using var actual = loaded.Score(q);
                actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
            }

            SavedFiles.ShouldRefuseCorruptions(detector.Save, RelativeMahalanobisDetector.Load, "RelativeMahalanobisDetector");
            using var part = detector.ClassConditional;
            part.Save(path);
            FluentActions.Invoking(() => RelativeMahalanobisDetector.Load(path)).Should().Throw<InvalidDataException>()
                .WithMessage($"'{path}' is not a valid RelativeMahalanobisDetector file: it holds a MahalanobisDetector, not a RelativeMahalanobisDetector.");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ItsDetectors_AreCopies_AndDisposeMakesEveryMemberThrow()
    {
        using var q = LatentCases.Queries(LatentCases.Case(0));
        var detector = FitSmall();
        Ownership.ShouldHandOutCopies_AndRefuseUseAfterDispose(detector, () => detector.Score(q), () => detector.ClassConditional, () => detector.Background);
    }

    [Fact]
    public void FitAndScore_LeakNoTensors()
    {
        var golden = LatentCases.Case(0);
        using var q = LatentCases.Queries(golden);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        var before = LiveTensors.Count;
        using (var detector = RelativeMahalanobisDetector.Fit(x, y, 3))
        {
            detector.Score(q).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
    }

    private static RelativeMahalanobisDetector FitSmall()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        return RelativeMahalanobisDetector.Fit(x, y, 3);
    }

    [Theory]
    [InlineData(CovarianceMethod.Empirical)]
    [InlineData(CovarianceMethod.LedoitWolf)]
    public void FromStatistics_OfFourMergedShardsWithLargeMean_HasSingleProcessParametersTo1e10(CovarianceMethod method)
    {
        // At a mean of 10⁴ the fitted means and covariance agree to 1e-10; the scores themselves are not compared here, because
        // expanding |z − m|² into |z|² − 2 z·m + |m|² costs any fit about 1e-16 × |z|² of absolute precision at such features.
        var (single, mergedStatistics) = FeatureStatisticsAccumulatorMergeCases.SingleAndMerged(1e4);
        using var singleStatistics = single;
        using var statistics = mergedStatistics;
        using var expected = RelativeMahalanobisDetector.FromStatistics(singleStatistics, method);
        using var merged = RelativeMahalanobisDetector.FromStatistics(statistics, method);

        using (var a = merged.ClassConditional)
        using (var b = expected.ClassConditional)
        {
            MahalanobisDetectorTests.ShouldHaveSameParameters(a, b);
        }

        using (var a = merged.Background)
        using (var b = expected.Background)
        {
            MahalanobisDetectorTests.ShouldHaveSameParameters(a, b);
        }
    }

    [Theory]
    [InlineData(CovarianceMethod.Empirical)]
    [InlineData(CovarianceMethod.LedoitWolf)]
    public void FromStatistics_OfFourMergedShards_ScoresEqualSingleProcessTo1e10(CovarianceMethod method)
    {
        var (single, mergedStatistics) = FeatureStatisticsAccumulatorMergeCases.SingleAndMerged(0);
        using var singleStatistics = single;
        using var statistics = mergedStatistics;
        using var expected = RelativeMahalanobisDetector.FromStatistics(singleStatistics, method);
        using var merged = RelativeMahalanobisDetector.FromStatistics(statistics, method);
        using var queries = FeatureStatisticsAccumulatorMergeCases.Features(0);

        using var expectedScores = expected.Score(queries);
        using var mergedScores = merged.Score(queries);

        FeatureStatisticsAccumulatorMergeCases.RelativeError(mergedScores, expectedScores).Should().BeLessThan(1e-10);
    }
}
