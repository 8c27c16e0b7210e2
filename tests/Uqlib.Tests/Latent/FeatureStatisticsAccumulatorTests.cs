using System;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class FeatureStatisticsAccumulatorTests
{
    [Fact]
    public void ToStatistics_StreamedInBatches_EqualsOneShot()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var oneShot = FeatureStatistics.Compute(x, y, 3);
        using var accumulator = new FeatureStatisticsAccumulator(3);
        foreach (var (start, length) in new[] { (0L, 7L), (7L, 50L), (57L, 1L), (58L, 62L) })
        {
            using var xs = x.narrow(0, start, length);
            using var ys = y.narrow(0, start, length);
            accumulator.Add(xs, ys);
        }

        using var streamed = accumulator.ToStatistics();

        streamed.Count.Should().Be(120);
        streamed.ClassCounts.ToArray().Should().Equal(40, 40, 40);
        streamed.ClassMeans.allclose(oneShot.ClassMeans, rtol: 1e-12, atol: 1e-12).Should().BeTrue();
        streamed.WithinScatter.allclose(oneShot.WithinScatter, rtol: 1e-10, atol: 1e-10).Should().BeTrue();
        streamed.TotalScatter.allclose(oneShot.TotalScatter, rtol: 1e-10, atol: 1e-10).Should().BeTrue();
        streamed.WithinFourthMoment.Should().BeApproximately(oneShot.WithinFourthMoment, 1e-9 * oneShot.WithinFourthMoment);
        streamed.TotalFourthMoment.Should().BeApproximately(oneShot.TotalFourthMoment, 1e-9 * oneShot.TotalFourthMoment);
    }

    [Fact]
    public void ToStatistics_MatchesNumpyMeans()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var statistics = FeatureStatistics.Compute(x, y, 3);
        using var means = Golden.MatrixTensor(golden.GetProperty("means"));
        using var mean = Golden.VectorTensor(golden.GetProperty("globalMean"));

        statistics.ClassMeans.allclose(means, rtol: 1e-12, atol: 1e-12).Should().BeTrue();
        statistics.Mean.allclose(mean, rtol: 1e-12, atol: 1e-12).Should().BeTrue();
    }

    [Fact]
    public void ToStatistics_OfFeaturesFarFromOrigin_KeepsPrecision()
    {
        // Raw sums of x and x xᵀ would cancel catastrophically at an offset of 1e6; shifted sums must not.
        using var generator = new Generator(7);
        using var small = torch.randn(new long[] { 200, 4 }, dtype: ScalarType.Float64, generator: generator);
        using var far = small.add(1e6);
        using var near = FeatureStatistics.Compute(small, null, 1);
        using var shifted = FeatureStatistics.Compute(far, null, 1);

        shifted.TotalScatter.allclose(near.TotalScatter, rtol: 1e-6, atol: 1e-6).Should().BeTrue();
        shifted.TotalFourthMoment.Should().BeApproximately(near.TotalFourthMoment, 1e-6 * near.TotalFourthMoment);
    }

    [Fact]
    public void Add_NaNFeatures_Throws()
    {
        using var x = torch.ones(4, 3);
        x[2, 1] = torch.tensor(float.NaN);
        using var accumulator = new FeatureStatisticsAccumulator(1);

        var act = () => accumulator.Add(x);

        act.Should().Throw<ArgumentException>().WithParameterName("features").WithMessage("*1 NaN value (first at row 2)*");
    }

    [Fact]
    public void Add_InfiniteFeatures_Throws()
    {
        using var x = torch.ones(4, 3);
        x[1, 0] = torch.tensor(float.NegativeInfinity);
        using var accumulator = new FeatureStatisticsAccumulator(1);

        var act = () => accumulator.Add(x);

        act.Should().Throw<ArgumentException>().WithMessage("*infinite*");
    }

    [Fact]
    public void Add_EmptyFeatures_Throws()
    {
        using var x = torch.zeros(0, 3);
        using var accumulator = new FeatureStatisticsAccumulator(1);

        var act = () => accumulator.Add(x);

        act.Should().Throw<ArgumentException>().WithMessage("*empty*");
    }

    [Fact]
    public void Add_LabelLengthMismatch_Throws()
    {
        using var x = torch.ones(4, 3);
        using var y = torch.zeros(3, dtype: ScalarType.Int64);
        using var accumulator = new FeatureStatisticsAccumulator(2);

        var act = () => accumulator.Add(x, y);

        act.Should().Throw<ArgumentException>().WithParameterName("labels");
    }

    [Fact]
    public void Add_DimensionChange_Throws()
    {
        using var first = torch.ones(4, 3);
        using var second = torch.ones(4, 5);
        using var accumulator = new FeatureStatisticsAccumulator(1);
        accumulator.Add(first);

        var act = () => accumulator.Add(second);

        act.Should().Throw<ArgumentException>().WithMessage("*dimension 3*(4, 5)*");
    }

    [Fact]
    public void Add_LabelsOutOfRange_Throws()
    {
        using var x = torch.ones(4, 3);
        using var y = torch.tensor(new long[] { 0, 1, 2, 1 });
        using var accumulator = new FeatureStatisticsAccumulator(2);

        var act = () => accumulator.Add(x, y);

        act.Should().Throw<ArgumentException>().WithMessage("*[0, 1]*row 2*");
    }

    [Fact]
    public void Add_MissingLabelsWithSeveralClasses_Throws()
    {
        using var x = torch.ones(4, 3);
        using var accumulator = new FeatureStatisticsAccumulator(2);

        var act = () => accumulator.Add(x);

        act.Should().Throw<ArgumentNullException>().WithParameterName("labels");
    }

    [Fact]
    public void ToStatistics_BeforeAdd_Throws()
    {
        using var accumulator = new FeatureStatisticsAccumulator(2);

        var act = () => accumulator.ToStatistics();

        act.Should().Throw<InvalidOperationException>().WithMessage("*Add*");
    }

    [Fact]
    public void AddAndToStatistics_LeakNoTensors()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        var before = LiveTensors.Count;
        using (var accumulator = new FeatureStatisticsAccumulator(3))
        {
            accumulator.Add(x, y);
            accumulator.ToStatistics().Dispose();
        }

        LiveTensors.Count.Should().Be(before);
    }
}
