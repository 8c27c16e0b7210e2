using System;
using FluentAssertions;
using Uqlib.Sharding;
using Xunit;

namespace Uqlib.Tests.Sharding;

public sealed class ShardSpecTests
{
    [Theory]
    [InlineData(10L, 4)]
    [InlineData(1_000_000L, 4)]
    [InlineData(7L, 7)]
    [InlineData(1_000_003L, 13)]
    public void CasesOf_AllShards_AreContiguousDisjointAndCoverEveryCaseInOrder(long total, int count)
    {
        var next = 0L;
        for (var i = 0; i < count; i++)
        {
            var (start, end) = ShardSpec.Of(i, count).CasesOf(total);

            start.Should().Be(next);
            (end - start).Should().BeInRange(total / count, (total / count) + 1);
            next = end;
        }

        next.Should().Be(total);
    }

    [Fact]
    public void CasesOf_FourShardsOfTen_SplitsAtFloorOfIN()
    {
        ShardSpec.Parse("0/4").CasesOf(10).Should().Be((0L, 2L));
        ShardSpec.Parse("1/4").CasesOf(10).Should().Be((2L, 5L));
        ShardSpec.Parse("2/4").CasesOf(10).Should().Be((5L, 7L));
        ShardSpec.Parse("3/4").CasesOf(10).Should().Be((7L, 10L));
    }

    [Theory]
    [InlineData("2/4", false, 2, 4)]
    [InlineData(" 0/1 ", false, 0, 1)]
    [InlineData("0..250000", true, 0, 1)]
    [InlineData("250000..500000", true, 0, 1)]
    public void Parse_ValidText_RoundTripsThroughToString(string text, bool isRange, int index, int count)
    {
        var spec = ShardSpec.Parse(text);

        spec.IsRange.Should().Be(isRange);
        spec.Index.Should().Be(index);
        spec.Count.Should().Be(count);
        ShardSpec.Parse(spec.ToString()).Should().Be(spec);
        spec.ToString().Should().Be(text.Trim());
    }

    [Fact]
    public void Range_CasesOf_IsTheRange()
    {
        ShardSpec.Range(250, 500).CasesOf(1000).Should().Be((250L, 500L));
        ShardSpec.Parse("250..500").Should().Be(ShardSpec.Range(250, 500));
        (ShardSpec.Range(250, 500) != ShardSpec.Range(250, 501)).Should().BeTrue();
    }

    [Fact]
    public void Whole_IsDefaultAndDoesEveryCase()
    {
        default(ShardSpec).Should().Be(ShardSpec.Whole);
        ShardSpec.Whole.ToString().Should().Be("0/1");
        ShardSpec.Whole.CasesOf(17).Should().Be((0L, 17L));
    }

    [Theory]
    [InlineData("4/4", "*0 ≤ i < n*found \"4/4\"*")]
    [InlineData("0/0", "*1 ≤ n*found \"0/0\"*")]
    [InlineData("-1/4", "*must be \"i/n\"*found \"-1/4\"*")]
    [InlineData("1/4/2", "*must be \"i/n\"*")]
    [InlineData("5..5", "*end > start*found \"5..5\"*")]
    [InlineData("a/b", "*must be \"i/n\"*found \"a/b\"*")]
    [InlineData("", "*must be \"i/n\"*")]
    [InlineData("1/2..3", "*must be \"i/n\"*")]
    public void Parse_InvalidText_ThrowsFormatExceptionSayingWhat(string text, string message)
    {
        FluentActions.Invoking(() => ShardSpec.Parse(text)).Should().Throw<FormatException>().WithMessage(message);
        ShardSpec.TryParse(text, out var spec).Should().BeFalse();
        spec.Should().Be(ShardSpec.Whole);
    }

    [Fact]
    public void Parse_Null_Throws()
    {
        FluentActions.Invoking(() => ShardSpec.Parse(null!)).Should().Throw<ArgumentNullException>().WithParameterName("text");
        ShardSpec.TryParse(null, out _).Should().BeFalse();
    }

    [Fact]
    public void FactoriesAndCasesOf_OutOfRange_Throw()
    {
        FluentActions.Invoking(() => ShardSpec.Of(4, 4)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("index");
        FluentActions.Invoking(() => ShardSpec.Of(0, 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("count");
        FluentActions.Invoking(() => ShardSpec.Range(-1, 3)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("start");
        FluentActions.Invoking(() => ShardSpec.Range(3, 3)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("end");
        FluentActions.Invoking(() => ShardSpec.Of(0, 4).CasesOf(3)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("total")
            .WithMessage("*at least the number of shards (4)*found 3*");
        FluentActions.Invoking(() => ShardSpec.Range(0, 10).CasesOf(9)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("total");
    }
}
