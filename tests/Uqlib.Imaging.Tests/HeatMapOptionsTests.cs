using System;
using FluentAssertions;
using Xunit;

namespace Uqlib.Imaging.Tests;

public sealed class HeatMapOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var options = new HeatMapOptions();

        options.Validate();
        options.ColorMap.Should().Be(ColorMap.Viridis);
        options.Minimum.Should().BeNull();
        options.Maximum.Should().BeNull();
        options.Opacity.Should().Be(0.5);
        options.ColorBar.Should().BeTrue();
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.PositiveInfinity)]
    public void Validate_OpacityOutsideRange_Throws(double opacity)
    {
        var act = new HeatMapOptions { Opacity = opacity }.Validate;

        act.Should().Throw<ArgumentException>().WithMessage("*Opacity must be in (0, 1]*");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(double.PositiveInfinity)]
    public void Validate_RangeNotFinite_Throws(double value)
    {
        FluentActions.Invoking(new HeatMapOptions { Minimum = value }.Validate).Should().Throw<ArgumentException>().WithMessage("*Minimum must be a finite number*");
        FluentActions.Invoking(new HeatMapOptions { Maximum = value }.Validate).Should().Throw<ArgumentException>().WithMessage("*Maximum must be a finite number*");
    }

    [Fact]
    public void Validate_EveryProblem_ReportedTogether()
    {
        var act = new HeatMapOptions { ColorMap = (ColorMap)8, Minimum = 2, Maximum = 1, Opacity = 0 }.Validate;

        act.Should().Throw<ArgumentException>().Which.Message.Should()
            .Contain("ColorMap").And.Contain("Minimum (2) must be less than Maximum (1)").And.Contain("Opacity");
    }
}
