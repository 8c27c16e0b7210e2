using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class MahalanobisDetectorTests
{
    public static TheoryData<int, string> GoldenCases => new()
    {
        { 0, "empirical" },
        { 0, "ledoitWolf" },
        { 1, "ledoitWolf" },
    };

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Score_MatchesScipyMahalanobis(int index, string kind)
    {
        var golden = LatentCases.Case(index);
        var method = kind == "empirical" ? CovarianceMethod.Empirical : CovarianceMethod.LedoitWolf;
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var q = LatentCases.Queries(golden);
        using var detector = MahalanobisDetector.Fit(x, y, LatentCases.Classes(golden), method);
        using var scores = detector.Score(q);
        using var distances = detector.ClassDistances(q);
        var expected = golden.GetProperty(kind);

        Golden.ToArray(scores).Should().Equal(Golden.Vector(expected.GetProperty("mahalanobis")), (a, b) => LatentCases.CloseRelative(a, b, 1e-8));
        Golden.ToArray(distances.flatten()).Should().Equal(
            Golden.ToArray(Golden.MatrixTensor(expected.GetProperty("classDistances")).flatten()), (a, b) => LatentCases.CloseRelative(a, b, 1e-8));
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void ScoreClassAgnostic_MatchesScikitLearn(int index, string kind)
    {
        var golden = LatentCases.Case(index);
        var method = kind == "empirical" ? CovarianceMethod.Empirical : CovarianceMethod.LedoitWolf;
        using var x = LatentCases.Features(golden);
        using var q = LatentCases.Queries(golden);
        using var detector = MahalanobisDetector.FitClassAgnostic(x, method);
        using var scores = detector.Score(q);

        detector.IsClassAgnostic.Should().BeTrue();
        Golden.ToArray(scores).Should().Equal(
            Golden.Vector(golden.GetProperty(kind).GetProperty("classAgnostic")), (a, b) => LatentCases.CloseRelative(a, b, 1e-8));
    }

    [Fact]
    public void Score_Float32Features_WithinGoldenTolerance()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var x32 = x.to(ScalarType.Float32);
        using var y = LatentCases.Labels(golden);
        using var q = LatentCases.Queries(golden);
        using var q32 = q.to(ScalarType.Float32);
        using var detector = MahalanobisDetector.Fit(x32, y, 3, CovarianceMethod.LedoitWolf);
        using var scores = detector.Score(q32);

        Golden.ToArray(scores).Should().Equal(
            Golden.Vector(golden.GetProperty("ledoitWolf").GetProperty("mahalanobis")), (a, b) => LatentCases.CloseRelative(a, b, 1e-4));
    }

    [Fact]
    public void Fit_EmpiricalWithFewerSamplesThanDimensions_UsesThePseudoInverseOfTheSpannedSubspace()
    {
        var golden = LatentCases.Case(1); // 24 samples of 2 classes in 30 dimensions: the within-class scatter has rank 22
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var q = LatentCases.Queries(golden);

        using var detector = MahalanobisDetector.Fit(x, y, 2, CovarianceMethod.Empirical);
        using var scores = detector.Score(q);

        detector.Rank.Should().Be(22);
        Golden.ToArray(scores).Should().OnlyContain(s => double.IsFinite(s) && s >= 0);
    }

    [Theory]
    [InlineData("empirical", CovarianceMethod.Empirical)]
    [InlineData("ledoit_wolf", CovarianceMethod.LedoitWolf)]
    public void Score_DeadUnits_MatchesScikitLearnPseudoInverse(string kind, CovarianceMethod method)
    {
        using var x = LatentCases.DeadUnitsArray("features");
        using var y = LatentCases.DeadUnitsArray("labels");
        using var q = LatentCases.DeadUnitsArray("queries");
        using var detector = MahalanobisDetector.Fit(x, y, 4, method);
        using var agnostic = MahalanobisDetector.FitClassAgnostic(x, method);
        using var scores = detector.Score(q);
        using var distances = detector.ClassDistances(q);
        using var agnosticScores = agnostic.Score(q);
        using var expectedScores = LatentCases.DeadUnitsArray(kind + "_mahalanobis");
        using var expectedDistances = LatentCases.DeadUnitsArray(kind + "_class_distances");
        using var expectedAgnostic = LatentCases.DeadUnitsArray(kind + "_class_agnostic");

        detector.Rank.Should().Be(LatentCases.DeadUnits.GetProperty(kind + "_within_rank").GetInt64());
        agnostic.Rank.Should().Be(LatentCases.DeadUnits.GetProperty(kind + "_total_rank").GetInt64());
        Golden.ToArray(scores).Should().Equal(Golden.ToArray(expectedScores), (a, b) => LatentCases.CloseRelative(a, b, 1e-9));
        Golden.ToArray(distances.flatten()).Should().Equal(Golden.ToArray(expectedDistances.flatten()), (a, b) => LatentCases.CloseRelative(a, b, 1e-9));
        Golden.ToArray(agnosticScores).Should().Equal(Golden.ToArray(expectedAgnostic), (a, b) => LatentCases.CloseRelative(a, b, 1e-9));
    }

    [Fact]
    public void Fit_AutoOnDeadUnits_NeverFails_AndReportsTheRankUsed()
    {
        // 800 samples of 64 features: Auto takes the empirical covariance, whose rank is 44 with 20 dead units.
        using var x = LatentCases.DeadUnitsArray("features");
        using var y = LatentCases.DeadUnitsArray("labels");
        using var q = LatentCases.DeadUnitsArray("queries");
        using var detector = MahalanobisDetector.Fit(x, y, 4);
        using var scores = detector.Score(q);
        using var expected = LatentCases.DeadUnitsArray("empirical_mahalanobis");

        detector.Rank.Should().Be(44);
        detector.ToString().Should().Be("MahalanobisDetector(classes=4, dimension=64, rank=44, covariance=Empirical, n=800)");
        Golden.ToArray(scores).Should().Equal(Golden.ToArray(expected), (a, b) => LatentCases.CloseRelative(a, b, 1e-9));
    }

    [Theory]
    [InlineData("empirical", CovarianceMethod.Empirical)]
    [InlineData("ledoit_wolf", CovarianceMethod.LedoitWolf)]
    public void Score_Float32Arithmetic_MatchesScikitLearnToFloat32Rounding(string kind, CovarianceMethod method)
    {
        using var x = LatentCases.DeadUnitsArray("features");
        using var y = LatentCases.DeadUnitsArray("labels");
        using var q = LatentCases.DeadUnitsArray("queries");
        using var detector = MahalanobisDetector.Fit(x, y, 4, method);
        using var scores = detector.Score(q, ScoreArithmetic.Float32);
        using var distances = detector.ClassDistances(q, ScoreArithmetic.Float32);
        using var expected = LatentCases.DeadUnitsArray(kind + "_mahalanobis");

        scores.dtype.Should().Be(ScalarType.Float64);
        distances.dtype.Should().Be(ScalarType.Float64);
        Golden.ToArray(scores).Should().Equal(Golden.ToArray(expected), (a, b) => LatentCases.CloseRelative(a, b, 1e-3));
    }

    [Fact]
    public void Score_UndefinedArithmetic_Throws()
    {
        using var detector = FitSmall();
        using var q = LatentCases.Queries(LatentCases.Case(0));

        var act = () => detector.Score(q, (ScoreArithmetic)7);

        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("arithmetic").WithMessage("*found 7*");
    }

    [Fact]
    public void Fit_ConstantFeatures_ThrowsSayingEveryFeatureIsConstant()
    {
        using var x = torch.ones(20, 4);
        using var y = torch.arange(20, dtype: ScalarType.Int64).remainder(2);

        var act = () => MahalanobisDetector.Fit(x, y, 2, CovarianceMethod.Empirical);

        act.Should().Throw<ArgumentException>().WithMessage("*20 samples in 4 dimensions is zero: every feature is constant*");
    }

    [Fact]
    public void ToString_LedoitWolf_ShowsShrinkageAndRank()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var detector = MahalanobisDetector.Fit(x, y, 3, CovarianceMethod.LedoitWolf);
        using var covariance = detector.Covariance;

        detector.ToString().Should().StartWith("MahalanobisDetector(classes=3, dimension=6, rank=6, covariance=LedoitWolf, shrinkage=")
            .And.EndWith(", n=120)");
        covariance.ToString().Should().StartWith("CovarianceEstimate(LedoitWolf, shrinkage=").And.EndWith(", rank=6/6, n=120)");
    }

    [Fact]
    public void Fit_ClassWithoutSamples_Throws()
    {
        using var generator = new Generator(1);
        using var x = torch.randn(10, 2, generator: generator);
        using var y = torch.zeros(10, dtype: ScalarType.Int64);

        var act = () => MahalanobisDetector.Fit(x, y, 2);

        act.Should().Throw<ArgumentException>().WithMessage("Class 1 has no training samples*");
    }

    [Fact]
    public void Score_DimensionMismatch_Throws()
    {
        using var detector = FitSmall();
        using var q = torch.ones(3, 5);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("*dimension 6*(3, 5)*");
    }

    [Fact]
    public void Score_NaN_Throws()
    {
        using var detector = FitSmall();
        using var q = torch.ones(3, 6);
        q[1, 4] = torch.tensor(float.NaN);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithMessage("*NaN*row 1*");
    }

    [Fact]
    public void Score_Infinite_Throws()
    {
        using var detector = FitSmall();
        using var q = torch.ones(3, 6);
        q[0, 0] = torch.tensor(float.PositiveInfinity);

        var act = () => detector.Score(q);

        act.Should().Throw<ArgumentException>().WithMessage("*infinite*");
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
    public void Fit_LabelLengthMismatch_Throws()
    {
        using var x = torch.ones(5, 2);
        using var y = torch.zeros(4, dtype: ScalarType.Int64);

        var act = () => MahalanobisDetector.Fit(x, y, 1);

        act.Should().Throw<ArgumentException>().WithParameterName("labels");
    }

    [Fact]
    public void Score_IsInvariantUnderInvertibleAffineMaps()
    {
        // Mahalanobis distances with the empirical covariance do not change when every feature goes through x ↦ Mx + b.
        using var scope = torch.NewDisposeScope();
        var golden = LatentCases.Case(0);
        var x = LatentCases.Features(golden);
        var y = LatentCases.Labels(golden);
        var q = LatentCases.Queries(golden);
        using var generator = new Generator(5);
        var m = torch.randn(new long[] { 6, 6 }, dtype: ScalarType.Float64, generator: generator).add_(torch.eye(6, dtype: ScalarType.Float64).mul(3));
        using var generator2 = new Generator(6);
        var b = torch.randn(new long[] { 6 }, dtype: ScalarType.Float64, generator: generator2);
        using var plain = MahalanobisDetector.Fit(x, y, 3, CovarianceMethod.Empirical);
        using var mapped = MahalanobisDetector.Fit(x.matmul(m.t()).add(b), y, 3, CovarianceMethod.Empirical);

        plain.Score(q).allclose(mapped.Score(q.matmul(m.t()).add(b)), rtol: 1e-8, atol: 1e-8).Should().BeTrue();
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalScores()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var q = LatentCases.Queries(golden);
        using var detector = MahalanobisDetector.Fit(x, y, 3, CovarianceMethod.LedoitWolf);
        var path = Path.GetTempFileName();
        try
        {
            detector.Save(path);
            using var loaded = MahalanobisDetector.Load(path);
            using var expected = detector.Score(q);
            using var actual = loaded.Score(q);

            actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
            using var loadedCovariance = loaded.Covariance;
            using var savedCovariance = detector.Covariance;
            loadedCovariance.Shrinkage.Should().Be(savedCovariance.Shrinkage);
            loadedCovariance.Method.Should().Be(CovarianceMethod.LedoitWolf);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_CorruptTruncatedOrForeignFile_ThrowsInvalidData()
    {
        using var detector = FitSmall();
        var path = Path.GetTempFileName();
        try
        {
            detector.Save(path);
            SavedFiles.ShouldRefuseCorruptions(detector.Save, MahalanobisDetector.Load, "MahalanobisDetector");
            using var generator = new Generator(2);
            using var knn = KnnDetector.Fit(torch.randn(10, 6, generator: generator), new KnnOptions { K = 3 });
            knn.Save(path);
            FluentActions.Invoking(() => MahalanobisDetector.Load(path)).Should().Throw<InvalidDataException>().WithMessage("*it holds a KnnDetector, not a MahalanobisDetector.");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MeansAndCovariance_AreCopies_AndDisposeMakesEveryMemberThrow()
    {
        using var q = LatentCases.Queries(LatentCases.Case(0));
        var detector = FitSmall();
        Ownership.ShouldHandOutCopies_AndRefuseUseAfterDispose(detector, () => detector.Score(q), () => detector.ClassMeans, () => detector.Covariance);
    }

    [Fact]
    public void FitAndScore_LeakNoTensors()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var q = LatentCases.Queries(golden);
        var before = LiveTensors.Count;
        using (var detector = MahalanobisDetector.Fit(x, y, 3))
        {
            detector.Score(q).Dispose();
            detector.ClassDistances(q).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
    }

    private static MahalanobisDetector FitSmall()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        return MahalanobisDetector.Fit(x, y, 3);
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
        using var expected = MahalanobisDetector.FromStatistics(singleStatistics, method);
        using var merged = MahalanobisDetector.FromStatistics(statistics, method);

        ShouldHaveSameParameters(merged, expected);
    }

    [Theory]
    [InlineData(CovarianceMethod.Empirical)]
    [InlineData(CovarianceMethod.LedoitWolf)]
    public void FromStatistics_OfFourMergedShards_ScoresEqualSingleProcessTo1e10(CovarianceMethod method)
    {
        var (single, mergedStatistics) = FeatureStatisticsAccumulatorMergeCases.SingleAndMerged(0);
        using var singleStatistics = single;
        using var statistics = mergedStatistics;
        using var expected = MahalanobisDetector.FromStatistics(singleStatistics, method);
        using var merged = MahalanobisDetector.FromStatistics(statistics, method);
        using var queries = FeatureStatisticsAccumulatorMergeCases.Features(0);

        using var expectedScores = expected.Score(queries);
        using var mergedScores = merged.Score(queries);

        FeatureStatisticsAccumulatorMergeCases.RelativeError(mergedScores, expectedScores).Should().BeLessThan(1e-10);
    }

    internal static void ShouldHaveSameParameters(MahalanobisDetector actual, MahalanobisDetector expected)
    {
        using var actualMeans = actual.ClassMeans;
        using var expectedMeans = expected.ClassMeans;
        using var actualCovariance = actual.Covariance;
        using var expectedCovariance = expected.Covariance;
        using var actualMatrix = actualCovariance.Matrix;
        using var expectedMatrix = expectedCovariance.Matrix;
        FeatureStatisticsAccumulatorMergeCases.RelativeError(actualMeans, expectedMeans).Should().BeLessThan(1e-10);
        FeatureStatisticsAccumulatorMergeCases.RelativeError(actualMatrix, expectedMatrix).Should().BeLessThan(1e-10);
        actualCovariance.Shrinkage.Should().BeApproximately(expectedCovariance.Shrinkage, 1e-10);
    }
}
