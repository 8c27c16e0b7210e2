using System;
using FluentAssertions;
using Xunit;

namespace Uqlib.Imaging.Tests;

public sealed class ImageLoadOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var options = new ImageLoadOptions();

        options.Validate();
        options.ColorMode.Should().Be(ImageColorMode.Grayscale);
        options.Normalization.Should().Be(ImageNormalization.UnitRange);
        options.MaxPixels.Should().Be(8192L * 8192L);
        options.Resize.Should().BeNull();
        options.CenterCrop.Should().BeNull();
        options.Channels.Should().Be(1);
    }

    [Fact]
    public void Validate_EveryProblem_ReportedTogether()
    {
        var options = new ImageLoadOptions
        {
            ColorMode = (ImageColorMode)5,
            Resize = new ImageSize(0, 4),
            CenterCrop = new ImageSize(2, -1),
            MaxPixels = 0,
        };

        var act = options.Validate;

        act.Should().Throw<ArgumentException>().Which.Message.Should()
            .Contain("ColorMode").And.Contain("Resize").And.Contain("CenterCrop").And.Contain("MaxPixels");
    }

    [Fact]
    public void Validate_CropLargerThanResize_Throws()
    {
        var act = new ImageLoadOptions { Resize = new ImageSize(8, 8), CenterCrop = new ImageSize(9, 8) }.Validate;

        act.Should().Throw<ArgumentException>().WithMessage("*must fit inside Resize*");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    public void Validate_StdNotPositiveAndFinite_Throws(double std)
    {
        var act = new ImageLoadOptions { Normalization = ImageNormalization.MeanStd, Mean = [0.5], Std = [std] }.Validate;

        act.Should().Throw<ArgumentException>().WithMessage("*Std[0] must be a finite number greater than 0*");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Validate_MeanNotFinite_Throws(double mean)
    {
        var act = new ImageLoadOptions { Normalization = ImageNormalization.MeanStd, Mean = [mean], Std = [1] }.Validate;

        act.Should().Throw<ArgumentException>().WithMessage("*Mean[0] must be a finite number*");
    }

    [Fact]
    public void Validate_MeanStdLengthMismatch_Throws()
    {
        var act = new ImageLoadOptions
        {
            ColorMode = ImageColorMode.Rgb,
            Normalization = ImageNormalization.MeanStd,
            Mean = [0.5],
            Std = [1, 1, 1],
        }.Validate;

        act.Should().Throw<ArgumentException>().WithMessage("*Mean must have one value per channel (3 for Rgb); found 1*");
    }

    [Fact]
    public void Validate_MeanStdMissingOrUnused_Throws()
    {
        FluentActions.Invoking(new ImageLoadOptions { Normalization = ImageNormalization.MeanStd }.Validate)
            .Should().Throw<ArgumentException>().WithMessage("*Mean is required*");
        FluentActions.Invoking(new ImageLoadOptions { Mean = [0.5] }.Validate)
            .Should().Throw<ArgumentException>().WithMessage("*apply only when Normalization is MeanStd*");
    }

    [Fact]
    public void Validate_ResizeOrCropAboveMaxPixels_Throws()
    {
        // Resize to 20000 × 20000 used to allocate 1.6 GB per image without a word.
        FluentActions.Invoking(() => new ImageLoadOptions { Resize = new ImageSize(20000, 20000) }.Validate())
            .Should().Throw<ArgumentException>().WithMessage("*Resize (20000 × 20000 = 400000000 pixels) must not exceed MaxPixels (67108864)*");
        FluentActions.Invoking(() => new ImageLoadOptions { Resize = new ImageSize(300, 300), CenterCrop = new ImageSize(200, 200), MaxPixels = 30_000 }.Validate())
            .Should().Throw<ArgumentException>().WithMessage("*Resize*CenterCrop (200 × 200*");
        new ImageLoadOptions { Resize = new ImageSize(20000, 20000), MaxPixels = 400_000_000 }.Validate();
    }

    [Fact]
    public void Validate_MaxPixelsAboveItsLimit_Throws()
    {
        FluentActions.Invoking(() => new ImageLoadOptions { MaxPixels = ImageLoadOptions.MaxPixelsLimit + 1 }.Validate())
            .Should().Throw<ArgumentException>().WithMessage("*MaxPixels must be in [1, 2147483647]*");
        new ImageLoadOptions { MaxPixels = ImageLoadOptions.MaxPixelsLimit }.Validate();
    }
}
