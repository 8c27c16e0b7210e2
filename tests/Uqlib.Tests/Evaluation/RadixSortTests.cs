using System;
using System.Linq;
using FluentAssertions;
using Uqlib.Evaluation;
using Xunit;

namespace Uqlib.Tests.Evaluation;

public sealed class RadixSortTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(50_000)]
    public void Ascending_EqualsArraySort_WithNegativesZerosAndDuplicates(int n)
    {
        var random = new Random(n);
        var values = Enumerable.Range(0, n).Select(i => (i % 7) switch
        {
            0 => -0.0,
            1 => 0.0,
            2 => Math.Round(random.NextDouble() * 10) - 5,
            3 => -random.NextDouble() * 1e300,
            4 => random.NextDouble() * 1e-300,
            _ => (random.NextDouble() - 0.5) * 1e6,
        }).ToArray();
        var expected = values.Select(v => v + 0.0).ToArray();
        Array.Sort(expected);

        RadixSort.Ascending(values);

        values.Should().Equal(expected);
        values.Any(v => v == 0 && double.IsNegative(v)).Should().BeFalse("−0 and +0 become one key");
    }
}
