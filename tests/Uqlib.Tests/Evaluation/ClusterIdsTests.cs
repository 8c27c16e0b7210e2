using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Evaluation;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Evaluation;

public sealed class ClusterIdsTests
{
    [Fact]
    public void From_Strings_MapsKeysToDenseIndicesInOrderOfFirstAppearance()
    {
        var ids = ClusterIds.From(new[] { "p7", "p2", "p7", "P7", "p2", "p9" });

        ids.Cases.Should().Be(6);
        ids.Count.Should().Be(4);
        ids.Indices.ToArray().Should().Equal(0, 1, 0, 2, 1, 3);
        ids.Keys.Should().Equal("p7", "p2", "P7", "p9");
        ids.Sizes.Should().Equal(2, 2, 1, 1);
    }

    [Fact]
    public void From_NumbersAndTensors_AgreeWithEachOther()
    {
        var longs = ClusterIds.From(new long[] { 10, -3, 10, 42 });
        var doubles = ClusterIds.From(new[] { 10.0, -3.0, 10.0, 42.0 });
        using var ints = torch.tensor(new[] { 10, -3, 10, 42 });
        using var floats = torch.tensor(new[] { 10f, -3f, 10f, 42f });

        longs.Indices.ToArray().Should().Equal(0, 1, 0, 2);
        longs.Keys.Should().Equal("10", "-3", "42");
        doubles.Indices.ToArray().Should().Equal(longs.Indices.ToArray());
        ClusterIds.From(ints).Keys.Should().Equal(longs.Keys);
        ClusterIds.From(floats).Indices.ToArray().Should().Equal(longs.Indices.ToArray());
        ClusterIds.From(new[] { 0.0, -0.0 }).Count.Should().Be(1, "-0 and +0 are one key");
    }

    [Fact]
    public void From_NullOrNaNKey_NamesIdsAndTheIndex()
    {
        FluentActions.Invoking(() => ClusterIds.From(new[] { "a", null, "b" }))
            .Should().Throw<ArgumentException>().WithParameterName("ids").WithMessage("*null at index 1*");
        FluentActions.Invoking(() => ClusterIds.From(new[] { 1.0, double.NaN }))
            .Should().Throw<ArgumentException>().WithParameterName("ids").WithMessage("*NaN*index 1*");
        using var nan = torch.tensor(new[] { 1.0, double.NaN });
        FluentActions.Invoking(() => ClusterIds.From(nan)).Should().Throw<ArgumentException>().WithParameterName("ids");
        using var flags = torch.tensor(new[] { true, false });
        FluentActions.Invoking(() => ClusterIds.From(flags)).Should().Throw<ArgumentException>().WithParameterName("ids").WithMessage("*Bool*");
        using var matrix = torch.zeros(2, 2);
        FluentActions.Invoking(() => ClusterIds.From(matrix)).Should().Throw<ArgumentException>().WithParameterName("ids");
        FluentActions.Invoking(() => ClusterIds.From((string?[])null!)).Should().Throw<ArgumentNullException>().WithParameterName("ids");
        FluentActions.Invoking(() => ClusterIds.From(Array.Empty<long>())).Should().Throw<ArgumentException>().WithParameterName("ids");
    }

    [Fact]
    public void AssignFolds_NeverSplitsACluster_AndBalancesTheFolds()
    {
        var random = new Random(11);
        var keys = Enumerable.Range(0, 60).SelectMany(c => Enumerable.Repeat((long)c, 1 + random.Next(12))).OrderBy(_ => random.Next()).ToArray();
        var ids = ClusterIds.From(keys);

        var folds = ids.AssignFolds(5, seed: 3);

        folds.Should().HaveCount(keys.Length).And.OnlyContain(f => f >= 0 && f < 5);
        keys.Zip(folds).GroupBy(p => p.First).Should().OnlyContain(g => g.Select(p => p.Second).Distinct().Count() == 1, "a cluster lies in one fold");
        var sizes = folds.GroupBy(f => f).Select(g => g.Count()).ToArray();
        sizes.Should().HaveCount(5);
        (sizes.Max() - sizes.Min()).Should().BeLessThanOrEqualTo(12, "greedy assignment keeps folds within one cluster's size of each other");
        ids.AssignFolds(5, seed: 3).Should().Equal(folds);
        ids.AssignFolds(5, seed: 4).Should().NotEqual(folds);
        FluentActions.Invoking(() => ids.AssignFolds(61, 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("folds");
        FluentActions.Invoking(() => ids.AssignFolds(1, 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("folds");
    }
}
