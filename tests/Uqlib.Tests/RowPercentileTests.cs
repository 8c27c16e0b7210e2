using FluentAssertions;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests;

public sealed class RowPercentileTests
{
    [Theory]
    [InlineData(ScalarType.Float32, 0.0)]
    [InlineData(ScalarType.Float32, 10.0)]
    [InlineData(ScalarType.Float32, 37.5)]
    [InlineData(ScalarType.Float32, 90.0)]
    [InlineData(ScalarType.Float32, 100.0)]
    [InlineData(ScalarType.Float64, 12.345)]
    [InlineData(ScalarType.Float64, 90.0)]
    public void Of_OneLongRow_EqualsSortedLinearInterpolation_AndTheManyRowsPath(ScalarType dtype, double percentile)
    {
        // 100,003 values (past the managed selection's threshold) on a coarse grid, so that ties sit at every order statistic.
        using var generator = new Generator(7);
        using var values = torch.randn(new long[] { 1, 100_003 }, generator: generator).mul_(8).round_().div_(8).to(dtype);
        using var sorted = values.sort(1).Values.to(ScalarType.Float64);
        var count = values.shape[1];
        var position = (count - 1) * (percentile / 100.0);
        var low = (long)System.Math.Floor(position);
        var fraction = position - low;
        var a = sorted[0, low].ToDouble();
        var b = sorted[0, System.Math.Min(low + 1, count - 1)].ToDouble();
        var expected = dtype == ScalarType.Float32
            ? (double)(fraction >= 0.5 ? (float)b - ((float)(b - a) * (float)(1.0 - fraction)) : (float)a + ((float)(b - a) * (float)fraction))
            : fraction >= 0.5 ? b - ((b - a) * (1.0 - fraction)) : a + ((b - a) * fraction);
        using var twoRows = values.expand(2, -1).contiguous();

        using var one = RowPercentile.Of(values, percentile);
        using var many = RowPercentile.Of(twoRows, percentile);

        one.dtype.Should().Be(dtype);
        one.shape.Should().Equal(1);
        one.ToDouble().Should().Be(expected);
        many[0].ToDouble().Should().Be(expected);
        many[1].ToDouble().Should().Be(expected);
    }
}
