using System;
using FluentAssertions;
using Uqlib.Samples.BiradsShape.Labelling;
using Xunit;

namespace Uqlib.Samples.BiradsShape.Tests.Labelling;

public sealed class ShapeLabellerTests
{
    [Theory]
    [InlineData(0.0, SliceShapeLabel.Irregular)]
    [InlineData(0.7999999, SliceShapeLabel.Irregular)]
    [InlineData(0.8, SliceShapeLabel.Ambiguous)]
    [InlineData(0.8999999, SliceShapeLabel.Ambiguous)]
    [InlineData(0.9, SliceShapeLabel.Round)]
    [InlineData(1.0, SliceShapeLabel.Round)]
    public void Label_SeedThresholds_IrregularBelow08AmbiguousBelow09(double dice, SliceShapeLabel expected)
    {
        new ShapeLabeller().Label(dice).Should().Be(expected);
    }

    [Fact]
    public void LabelAll_Values_LabelsEach()
    {
        new ShapeLabeller().LabelAll(new[] { 0.5, 0.85, 0.95 })
            .Should().Equal(SliceShapeLabel.Irregular, SliceShapeLabel.Ambiguous, SliceShapeLabel.Round);
    }

    [Fact]
    public void LabelAll_Empty_ReturnsEmpty()
    {
        new ShapeLabeller().LabelAll(Array.Empty<double>()).Should().BeEmpty();
    }

    [Fact]
    public void Label_EqualThresholds_NoAmbiguousClass()
    {
        var labeller = new ShapeLabeller { IrregularBelow = 0.85, RoundFrom = 0.85 };
        labeller.Label(0.849).Should().Be(SliceShapeLabel.Irregular);
        labeller.Label(0.85).Should().Be(SliceShapeLabel.Round);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    public void Label_OutOfRange_Throws(double dice)
    {
        var act = () => new ShapeLabeller().Label(dice);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("dice");
    }

    [Fact]
    public void Validate_ThresholdsOutOfOrderAndNaN_ReportsEach()
    {
        var act = () => new ShapeLabeller { IrregularBelow = 0.95, RoundFrom = double.NaN }.Validate();
        act.Should().Throw<ArgumentException>().WithMessage("*RoundFrom must be in (0, 1]*");
        var order = () => new ShapeLabeller { IrregularBelow = 0.95, RoundFrom = 0.9 }.Validate();
        order.Should().Throw<ArgumentException>().WithMessage("*must not exceed RoundFrom*");
    }

    [Fact]
    public void LabelAll_Null_Throws()
    {
        var act = () => new ShapeLabeller().LabelAll(null!);
        act.Should().Throw<ArgumentNullException>().WithParameterName("dice");
    }
}
