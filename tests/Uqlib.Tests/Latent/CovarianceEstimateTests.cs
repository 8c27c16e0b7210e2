using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class CovarianceEstimateTests
{
    public static TheoryData<int> Cases => new() { 0, 1 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FromScatter_LedoitWolf_MatchesScikitLearn(int index)
    {
        var golden = LatentCases.Case(index);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var statistics = FeatureStatistics.Compute(x, y, LatentCases.Classes(golden));
        using var within = CovarianceEstimate.FromScatter(statistics.WithinScatter, statistics.WithinFourthMoment, statistics.Count, CovarianceMethod.LedoitWolf);
        using var total = CovarianceEstimate.FromScatter(statistics.TotalScatter, statistics.TotalFourthMoment, statistics.Count, CovarianceMethod.LedoitWolf);
        using var expectedWithin = Golden.MatrixTensor(golden.GetProperty("ledoitWolf").GetProperty("withinCovariance"));
        using var expectedTotal = Golden.MatrixTensor(golden.GetProperty("ledoitWolf").GetProperty("totalCovariance"));

        within.Shrinkage.Should().BeApproximately(golden.GetProperty("withinShrinkage").GetDouble(), 1e-10);
        total.Shrinkage.Should().BeApproximately(golden.GetProperty("totalShrinkage").GetDouble(), 1e-10);
        using var scope = torch.NewDisposeScope();
        within.Matrix.allclose(expectedWithin, rtol: 1e-9, atol: 1e-12).Should().BeTrue();
        total.Matrix.allclose(expectedTotal, rtol: 1e-9, atol: 1e-12).Should().BeTrue();
        within.Method.Should().Be(CovarianceMethod.LedoitWolf);
    }

    [Fact]
    public void Fit_Empirical_MatchesScikitLearn()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var estimate = CovarianceEstimate.Fit(x, CovarianceMethod.Empirical);
        using var expected = Golden.MatrixTensor(golden.GetProperty("empirical").GetProperty("totalCovariance"));

        using var matrix = estimate.Matrix;
        matrix.allclose(expected, rtol: 1e-10, atol: 1e-12).Should().BeTrue();
        estimate.Shrinkage.Should().Be(0.0);
    }

    [Theory]
    [InlineData("empirical", CovarianceMethod.Empirical)]
    [InlineData("ledoit_wolf", CovarianceMethod.LedoitWolf)]
    public void Precision_DeadUnits_MatchesScipyPinvh(string kind, CovarianceMethod method)
    {
        using var x = LatentCases.DeadUnitsArray("features");
        using var y = LatentCases.DeadUnitsArray("labels");
        using var statistics = FeatureStatistics.Compute(x, y, 4);
        using var estimate = CovarianceEstimate.FromScatter(statistics.WithinScatter, statistics.WithinFourthMoment, statistics.Count, method);
        using var precision = estimate.Precision;
        using var expected = LatentCases.DeadUnitsArray(kind + "_precision");
        var scale = expected.abs().max().ToDouble();

        estimate.Rank.Should().Be(LatentCases.DeadUnits.GetProperty(kind + "_within_rank").GetInt64());
        precision.sub(expected).abs().max().ToDouble().Should().BeLessThan(1e-9 * scale);
    }

    [Fact]
    public void Precision_FullRank_IsTheInverse()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var estimate = CovarianceEstimate.Fit(x, CovarianceMethod.Empirical);
        using var matrix = estimate.Matrix;
        using var precision = estimate.Precision;
        using var product = matrix.matmul(precision);
        using var identity = torch.eye(6, dtype: ScalarType.Float64);

        estimate.Rank.Should().Be(6);
        product.allclose(identity, rtol: 0, atol: 1e-10).Should().BeTrue();
    }

    [Fact]
    public void Fit_LedoitWolf_MatchesScikitLearn()
    {
        var golden = LatentCases.Case(1);
        using var x = LatentCases.Features(golden);
        using var estimate = CovarianceEstimate.Fit(x, CovarianceMethod.LedoitWolf);

        estimate.Shrinkage.Should().BeApproximately(golden.GetProperty("totalShrinkage").GetDouble(), 1e-10);
    }

    [Fact]
    public void Fit_Auto_ChoosesByRatioOfSamplesToDimension()
    {
        using var generator = new Generator(3);
        using var few = torch.randn(new long[] { 20, 5 }, dtype: ScalarType.Float64, generator: generator);
        using var many = torch.randn(new long[] { 60, 5 }, dtype: ScalarType.Float64, generator: generator);
        using var shrunk = CovarianceEstimate.Fit(few);
        using var plain = CovarianceEstimate.Fit(many);

        shrunk.Method.Should().Be(CovarianceMethod.LedoitWolf);
        plain.Method.Should().Be(CovarianceMethod.Empirical);
    }

    [Fact]
    public void Fit_ShrinkageIsInUnitInterval_AndTracePreserved()
    {
        for (var seed = 0; seed < 5; seed++)
        {
            using var generator = new Generator((ulong)seed);
            using var x = torch.randn(new long[] { 10 + (seed * 7), 12 }, dtype: ScalarType.Float64, generator: generator);
            using var shrunk = CovarianceEstimate.Fit(x, CovarianceMethod.LedoitWolf);
            using var plain = CovarianceEstimate.Fit(x, CovarianceMethod.Empirical);

            shrunk.Shrinkage.Should().BeInRange(0.0, 1.0);
            using var scope = torch.NewDisposeScope();
            var shrunkTrace = shrunk.Matrix.trace();
            var plainTrace = plain.Matrix.trace();
            shrunkTrace.ToDouble().Should().BeApproximately(plainTrace.ToDouble(), 1e-10 * plainTrace.ToDouble());
        }
    }

    [Fact]
    public void Fit_NaN_Throws()
    {
        using var x = torch.ones(5, 2, dtype: ScalarType.Float64);
        x[3, 0] = torch.tensor(double.NaN);

        var act = () => CovarianceEstimate.Fit(x);

        act.Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("*NaN*row 3*");
    }

    [Fact]
    public void Fit_Empty_Throws()
    {
        using var x = torch.zeros(0, 2, dtype: ScalarType.Float64);

        var act = () => CovarianceEstimate.Fit(x);

        act.Should().Throw<ArgumentException>().WithMessage("*empty*");
    }

    [Fact]
    public void FromScatter_NotSquare_Throws()
    {
        using var scatter = torch.ones(2, 3, dtype: ScalarType.Float64);

        var act = () => CovarianceEstimate.FromScatter(scatter, 1.0, 5, CovarianceMethod.Empirical);

        act.Should().Throw<ArgumentException>().WithParameterName("scatter");
    }

    [Fact]
    public void FromScatter_InfiniteFourthMoment_Throws()
    {
        using var scatter = torch.eye(2, dtype: ScalarType.Float64);

        var act = () => CovarianceEstimate.FromScatter(scatter, double.PositiveInfinity, 5, CovarianceMethod.LedoitWolf);

        act.Should().Throw<ArgumentException>().WithParameterName("fourthMoment");
    }

    [Fact]
    public void Matrix_IsACopy_AndDisposeMakesEveryMemberThrow()
    {
        using var x = LatentCases.Features(LatentCases.Case(0));
        var estimate = CovarianceEstimate.Fit(x, CovarianceMethod.LedoitWolf);
        Ownership.ShouldHandOutCopies_AndRefuseUseAfterDispose(estimate, () => estimate.Matrix, () => estimate.Matrix);
    }
}
