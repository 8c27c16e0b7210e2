using System;
using System.Linq;
using FluentAssertions;
using Uqlib.Samples.BiradsShape.Labelling;
using Xunit;

namespace Uqlib.Samples.BiradsShape.Tests.Labelling;

public sealed class ClassBalancerTests
{
    [Fact]
    public void DownSample_WithinTwoToThree_KeepsAll()
    {
        var labels = Enumerable.Repeat(0, 20).Concat(Enumerable.Repeat(1, 30)).ToArray();
        ClassBalancer.DownSample(labels, seed: 1).Should().Equal(Enumerable.Range(0, 50));
    }

    [Fact]
    public void DownSample_BeyondTwoToThree_MajorityCutToMinority()
    {
        var labels = Enumerable.Range(0, 100).Select(i => i % 5 == 0 ? 0 : 1).ToArray();
        var kept = ClassBalancer.DownSample(labels, seed: 3);
        kept.Count(i => labels[i] == 0).Should().Be(20);
        kept.Count(i => labels[i] == 1).Should().Be(20);
        kept.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        kept.Where(i => labels[i] == 0).Should().Equal(Enumerable.Range(0, 20).Select(i => i * 5));
    }

    [Fact]
    public void DownSample_SameSeed_SameSubset_OtherSeed_Differs()
    {
        var labels = Enumerable.Range(0, 200).Select(i => i % 4 == 0 ? 1 : 0).ToArray();
        ClassBalancer.DownSample(labels, 7).Should().Equal(ClassBalancer.DownSample(labels, 7));
        ClassBalancer.DownSample(labels, 7).Should().NotEqual(ClassBalancer.DownSample(labels, 8));
    }

    [Fact]
    public void DownSample_SubsetIsUniform_EachMajoritySampleKeptAboutEquallyOften()
    {
        var labels = Enumerable.Range(0, 40).Select(i => i < 10 ? 1 : 0).ToArray();
        var counts = new int[40];
        const int Draws = 2000;
        for (var seed = 0; seed < Draws; seed++)
        {
            foreach (var i in ClassBalancer.DownSample(labels, seed))
            {
                counts[i]++;
            }
        }

        // Each of the 30 majority samples is kept with probability 1/3: binomial sd = sqrt(2000·1/3·2/3) ≈ 21; 5 sd ≈ 105.
        counts.Skip(10).Should().OnlyContain(c => Math.Abs(c - (Draws / 3.0)) < 105);
        counts.Take(10).Should().OnlyContain(c => c == Draws);
    }

    [Fact]
    public void DownSample_OneClassOnly_KeepsAll()
    {
        ClassBalancer.DownSample(new[] { 1, 1, 1 }, 0).Should().Equal(0, 1, 2);
        ClassBalancer.DownSample(Array.Empty<int>(), 0).Should().BeEmpty();
    }

    [Fact]
    public void DownSample_BadLabel_ThrowsNamingIndex()
    {
        var act = () => ClassBalancer.DownSample(new[] { 0, 1, 2 }, 0);
        act.Should().Throw<ArgumentException>().WithParameterName("labels").WithMessage("*found 2 at index 2*");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(double.PositiveInfinity)]
    public void DownSample_BadTolerance_Throws(double tolerance)
    {
        var act = () => ClassBalancer.DownSample(new[] { 0, 1 }, 0, tolerance);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("tolerance");
    }
}
