using System;
using System.Collections.Generic;
using System.IO;
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
    public void Statistics_TensorGetters_HandOutCopiesThatLeaveTheStatisticsUnchanged()
    {
        var golden = LatentCases.Case(0);
        using var x = LatentCases.Features(golden);
        using var y = LatentCases.Labels(golden);
        using var statistics = FeatureStatistics.Compute(x, y, 3);
        using var before = MahalanobisDetector.FromStatistics(statistics);
        using var probe = x.narrow(0, 0, 10);
        using var expected = before.Score(probe);
        foreach (var get in new Func<Tensor>[] { () => statistics.ClassMeans, () => statistics.WithinScatter, () => statistics.Mean, () => statistics.TotalScatter })
        {
            using var copy = get();
            copy.add_(100.0);
        }

        using var means = statistics.ClassMeans;
        using var mean = statistics.Mean;
        using var x64 = x.to(ScalarType.Float64);
        using var classZero = y.eq(0).nonzero().squeeze(1);
        using var rowsOfClassZero = x64.index_select(0, classZero);
        using var meanOfClassZero = rowsOfClassZero.mean(new long[] { 0 });
        using var overallMean = x64.mean(new long[] { 0 });
        means[0].allclose(meanOfClassZero, rtol: 1e-12, atol: 1e-12).Should().BeTrue();
        mean.allclose(overallMean, rtol: 1e-12, atol: 1e-12).Should().BeTrue();
        using var after = MahalanobisDetector.FromStatistics(statistics);
        using var scores = after.Score(probe);
        scores.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
    }

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

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Merge_FourShardsOfFeaturesWithLargeMean_EqualsSingleProcessTo1e10(bool tree)
    {
        using var x = FeatureStatisticsAccumulatorMergeCases.Features();
        using var y = FeatureStatisticsAccumulatorMergeCases.Labels();
        using var single = FeatureStatisticsAccumulatorMergeCases.Single(x, y);
        using var expected = single.ToStatistics();
        var shards = FeatureStatisticsAccumulatorMergeCases.Shards(x, y, 4);
        try
        {
            if (tree)
            {
                // (0 + 1) + (2 + 3): the grouping a reduction tree gives.
                shards[0].Merge(shards[1]);
                shards[2].Merge(shards[3]);
                shards[0].Merge(shards[2]);
            }
            else
            {
                for (var i = 1; i < shards.Count; i++)
                {
                    shards[0].Merge(shards[i]);
                }
            }

            using var merged = shards[0].ToStatistics();

            ShouldMatch(merged, expected, 1e-10);
        }
        finally
        {
            shards.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Merge_FourShards_MatchesTwoPassReferenceOfCentredFeatures()
    {
        // The textbook two-pass computation (exact mean first, then sums of centred values) is the reference for the large-mean case.
        using var scope = torch.NewDisposeScope();
        var x = FeatureStatisticsAccumulatorMergeCases.Features();
        var y = FeatureStatisticsAccumulatorMergeCases.Labels();
        var shards = FeatureStatisticsAccumulatorMergeCases.Shards(x, y, 4);
        for (var i = 1; i < shards.Count; i++)
        {
            shards[0].Merge(shards[i]);
        }

        using var merged = shards[0].ToStatistics();
        shards.ForEach(s => s.Dispose());
        var mean = x.mean(new long[] { 0 });
        var centred = x.sub(mean);
        var totalScatter = centred.t().matmul(centred);
        var totalFourth = centred.square().sum(1).square().sum().ToDouble();
        var within = torch.zeros(6, 6, ScalarType.Float64);
        var withinFourth = 0.0;
        for (var c = 0; c < 3; c++)
        {
            var rows = x.index_select(0, y.eq(c).nonzero().view(-1));
            var r = rows.sub(rows.mean(new long[] { 0 }));
            within.add_(r.t().matmul(r));
            withinFourth += r.square().sum(1).square().sum().ToDouble();
            merged.ClassMeans[c].allclose(rows.mean(new long[] { 0 }), rtol: 1e-14, atol: 0).Should().BeTrue();
        }

        merged.Mean.allclose(mean, rtol: 1e-14, atol: 0).Should().BeTrue();
        FeatureStatisticsAccumulatorMergeCases.RelativeError(merged.TotalScatter, totalScatter).Should().BeLessThan(1e-10);
        FeatureStatisticsAccumulatorMergeCases.RelativeError(merged.WithinScatter, within).Should().BeLessThan(1e-10);
        merged.TotalFourthMoment.Should().BeApproximately(totalFourth, 1e-10 * totalFourth);
        merged.WithinFourthMoment.Should().BeApproximately(withinFourth, 1e-10 * withinFourth);
    }

    [Fact]
    public void Merge_ThenAdd_EqualsSingleProcess()
    {
        using var x = FeatureStatisticsAccumulatorMergeCases.Features();
        using var y = FeatureStatisticsAccumulatorMergeCases.Labels();
        using var single = FeatureStatisticsAccumulatorMergeCases.Single(x, y);
        using var expected = single.ToStatistics();
        using var first = FeatureStatisticsAccumulatorMergeCases.Shard(x, y, 0, 3);
        using var second = FeatureStatisticsAccumulatorMergeCases.Shard(x, y, 1, 3);
        first.Merge(second);
        var (start, end) = Uqlib.Sharding.ShardSpec.Of(2, 3).CasesOf(x.shape[0]);
        using (var xs = x.narrow(0, start, end - start))
        using (var ys = y.narrow(0, start, end - start))
        {
            first.Add(xs, ys);
        }

        using var merged = first.ToStatistics();

        ShouldMatch(merged, expected, 1e-10);
        first.Count.Should().Be(x.shape[0]);
    }

    [Fact]
    public void Merge_ShardWithoutSomeClasses_KeepsTheOtherShardsClasses()
    {
        using var scope = torch.NewDisposeScope();
        var x = FeatureStatisticsAccumulatorMergeCases.Features();
        var y = FeatureStatisticsAccumulatorMergeCases.Labels();
        var order = y.sort(stable: true).Indices;
        var xs = x.index_select(0, order);
        var ys = y.index_select(0, order);
        using var single = FeatureStatisticsAccumulatorMergeCases.Single(x, y);
        using var expected = single.ToStatistics();
        using var left = new FeatureStatisticsAccumulator(3);
        using var right = new FeatureStatisticsAccumulator(3);
        left.Add(xs.narrow(0, 0, 1000), ys.narrow(0, 0, 1000));       // class 0 only
        right.Add(xs.narrow(0, 1000, 1400), ys.narrow(0, 1000, 1400)); // classes 0 (200 rows), 1 and 2

        left.Merge(right);
        using var merged = left.ToStatistics();

        merged.ClassCounts.ToArray().Should().Equal(1200, 800, 400);
        ShouldMatch(merged, expected, 1e-10);
    }

    [Fact]
    public void Merge_IntoEmptyAccumulator_CopiesTheOther()
    {
        using var x = FeatureStatisticsAccumulatorMergeCases.Features();
        using var y = FeatureStatisticsAccumulatorMergeCases.Labels();
        using var full = FeatureStatisticsAccumulatorMergeCases.Single(x, y);
        using var expected = full.ToStatistics();
        using var empty = new FeatureStatisticsAccumulator(3);
        using var alsoEmpty = new FeatureStatisticsAccumulator(3);

        empty.Merge(full);
        empty.Merge(alsoEmpty);
        using var merged = empty.ToStatistics();

        ShouldMatch(merged, expected, 0);
        empty.Dimension.Should().Be(6);
    }

    [Fact]
    public void SaveLoad_ShardStates_MergeBitExactlyAsInMemory()
    {
        using var x = FeatureStatisticsAccumulatorMergeCases.Features();
        using var y = FeatureStatisticsAccumulatorMergeCases.Labels();
        var shards = FeatureStatisticsAccumulatorMergeCases.Shards(x, y, 4);
        var loaded = new List<FeatureStatisticsAccumulator>();
        try
        {
            foreach (var shard in shards)
            {
                loaded.Add(SavedFiles.RoundTrip(shard.Save, FeatureStatisticsAccumulator.Load));
            }

            for (var i = 1; i < 4; i++)
            {
                shards[0].Merge(shards[i]);
                loaded[0].Merge(loaded[i]);
            }

            using var expected = shards[0].ToStatistics();
            using var actual = loaded[0].ToStatistics();

            ShouldMatch(actual, expected, 0);
            loaded[0].ToString().Should().Be("FeatureStatisticsAccumulator(classes=3, n=2400, F=6)");
        }
        finally
        {
            shards.ForEach(s => s.Dispose());
            loaded.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void SaveLoad_EmptyAccumulator_RoundTrips()
    {
        using var empty = new FeatureStatisticsAccumulator(4);

        using var loaded = SavedFiles.RoundTrip(empty.Save, FeatureStatisticsAccumulator.Load);

        loaded.Classes.Should().Be(4);
        loaded.Count.Should().Be(0);
        loaded.Dimension.Should().Be(0);
    }

    [Fact]
    public void Load_CorruptOrForeignFiles_AreRefusedWithoutLeaks()
    {
        using var x = FeatureStatisticsAccumulatorMergeCases.Features();
        using var y = FeatureStatisticsAccumulatorMergeCases.Labels();
        using var shard = FeatureStatisticsAccumulatorMergeCases.Shard(x, y, 0, 4);
        var before = LiveTensors.Count;

        SavedFiles.ShouldRefuseCorruptions(shard.Save, FeatureStatisticsAccumulator.Load, "FeatureStatisticsAccumulator");
        SavedFiles.ShouldRefuseFields("{\"classes\": 0, \"count\": 0}", FeatureStatisticsAccumulator.Load, "FeatureStatisticsAccumulator", "*0 classes and 0 samples are out of range*");

        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void Merge_Invalid_Throws()
    {
        using var x = FeatureStatisticsAccumulatorMergeCases.Features();
        using var y = FeatureStatisticsAccumulatorMergeCases.Labels();
        using var shard = FeatureStatisticsAccumulatorMergeCases.Shard(x, y, 0, 4);
        using var otherClasses = new FeatureStatisticsAccumulator(2);
        using var otherDimension = new FeatureStatisticsAccumulator(3);
        using (var narrow = x.narrow(1, 0, 4))
        {
            otherDimension.Add(narrow, y);
        }

        var disposed = new FeatureStatisticsAccumulator(3);
        disposed.Dispose();

        FluentActions.Invoking(() => shard.Merge(null!)).Should().Throw<ArgumentNullException>().WithParameterName("other");
        FluentActions.Invoking(() => shard.Merge(shard)).Should().Throw<ArgumentException>().WithParameterName("other").WithMessage("*itself*");
        FluentActions.Invoking(() => shard.Merge(disposed)).Should().Throw<ArgumentException>().WithParameterName("other").WithMessage("*disposed*");
        FluentActions.Invoking(() => shard.Merge(otherClasses)).Should().Throw<ArgumentException>().WithParameterName("other")
            .WithMessage("other must have 3 classes and dimension 6*found 2 classes*");
        FluentActions.Invoking(() => shard.Merge(otherDimension)).Should().Throw<ArgumentException>().WithParameterName("other")
            .WithMessage("*found 3 classes and dimension 4*");
        FluentActions.Invoking(() => disposed.Merge(shard)).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => disposed.Save("x")).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void Merge_LeaksNoTensors()
    {
        using var x = FeatureStatisticsAccumulatorMergeCases.Features();
        using var y = FeatureStatisticsAccumulatorMergeCases.Labels();
        using var a = FeatureStatisticsAccumulatorMergeCases.Shard(x, y, 0, 2);
        using var b = FeatureStatisticsAccumulatorMergeCases.Shard(x, y, 1, 2);
        using var empty = new FeatureStatisticsAccumulator(3);
        empty.Merge(b);
        var before = LiveTensors.Count;

        a.Merge(b);
        a.Merge(empty);

        LiveTensors.Count.Should().Be(before);
    }

    private static void ShouldMatch(FeatureStatistics actual, FeatureStatistics expected, double tolerance)
    {
        actual.Count.Should().Be(expected.Count);
        actual.ClassCounts.ToArray().Should().Equal(expected.ClassCounts.ToArray());
        FeatureStatisticsAccumulatorMergeCases.RelativeError(actual.ClassMeans, expected.ClassMeans).Should().BeLessThanOrEqualTo(tolerance);
        FeatureStatisticsAccumulatorMergeCases.RelativeError(actual.Mean, expected.Mean).Should().BeLessThanOrEqualTo(tolerance);
        FeatureStatisticsAccumulatorMergeCases.RelativeError(actual.WithinScatter, expected.WithinScatter).Should().BeLessThanOrEqualTo(tolerance);
        FeatureStatisticsAccumulatorMergeCases.RelativeError(actual.TotalScatter, expected.TotalScatter).Should().BeLessThanOrEqualTo(tolerance);
        actual.WithinFourthMoment.Should().BeApproximately(expected.WithinFourthMoment, tolerance * expected.WithinFourthMoment);
        actual.TotalFourthMoment.Should().BeApproximately(expected.TotalFourthMoment, tolerance * expected.TotalFourthMoment);
    }
}
