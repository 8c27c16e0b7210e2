using System;
using FluentAssertions;
using Uqlib.Samples.BiradsShape.Study;
using Xunit;

namespace Uqlib.Samples.BiradsShape.Tests.Study;

public sealed class MeanSdTests
{
    [Fact]
    public void Of_Values_MeanAndSampleSd()
    {
        var summary = MeanSd.Of(new[] { 2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0 });
        summary.Mean.Should().Be(5.0);
        summary.Sd.Should().BeApproximately(Math.Sqrt(32.0 / 7.0), 1e-12);
    }

    [Fact]
    public void Of_OneValue_SdZero()
    {
        MeanSd.Of(new[] { 0.3 }).Should().Be(new MeanSd(0.3, 0));
    }

    [Fact]
    public void Of_Empty_Throws()
    {
        var act = () => MeanSd.Of(Array.Empty<double>());
        act.Should().Throw<ArgumentException>().WithParameterName("values");
    }
}
