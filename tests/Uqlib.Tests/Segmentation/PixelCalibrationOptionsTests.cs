using System;
using FluentAssertions;
using Uqlib.Calibration;
using Uqlib.Segmentation;
using Xunit;

namespace Uqlib.Tests.Segmentation;

public sealed class PixelCalibrationOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValuesAndValid()
    {
        var options = new PixelCalibrationOptions();
        options.MaxPixels.Should().Be(1_000_000);
        options.Seed.Should().Be(0);
        options.Temperature.Should().Be(new TemperatureScalingOptions());
        options.Invoking(o => o.Validate()).Should().NotThrow();
    }

    [Fact]
    public void Validate_EveryProblem_ReportedInOneException()
    {
        var options = new PixelCalibrationOptions { MaxPixels = -1, Temperature = new TemperatureScalingOptions { MinTemperature = double.NaN } };
        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithParameterName("options")
            .WithMessage("*MaxPixels must be in [1, 268435456]; found -1*Temperature: MinTemperature*NaN*");
        (options with { MaxPixels = 1, Temperature = null! }).Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage("*Temperature must not be null*");
    }
}
