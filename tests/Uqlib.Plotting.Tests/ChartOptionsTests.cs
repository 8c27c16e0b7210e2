using System;
using FluentAssertions;
using Xunit;

namespace Uqlib.Plotting.Tests;

public sealed class ChartOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var options = new ChartOptions();

        options.Width.Should().Be(640);
        options.Height.Should().Be(480);
        options.Title.Should().BeNull();
        options.XLabel.Should().BeNull();
        options.YLabel.Should().BeNull();
        options.FontSize.Should().Be(14);
        options.Validate();
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEveryOne()
    {
        var options = new ChartOptions { Width = 0, Height = 10000, FontSize = double.NaN };

        var act = options.Validate;

        act.Should().Throw<ArgumentException>().WithMessage("*Width*found 0*Height*found 10000*FontSize*found NaN*");
    }

    [Theory]
    [InlineData(5.0)]
    [InlineData(100.0)]
    [InlineData(double.PositiveInfinity)]
    public void Validate_FontSizeOutOfRange_Throws(double size)
    {
        var act = new ChartOptions { FontSize = size }.Validate;

        act.Should().Throw<ArgumentException>().WithMessage("*FontSize*");
    }
}
