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
}
