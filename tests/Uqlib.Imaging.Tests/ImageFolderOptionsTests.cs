using System;
using FluentAssertions;
using Xunit;

namespace Uqlib.Imaging.Tests;

public sealed class ImageFolderOptionsTests
{
    [Fact]
    public void Validate_Defaults_Pass()
    {
        var options = new ImageFolderOptions();

        options.Validate();
        options.InvalidImages.Should().Be(InvalidImagePolicy.Throw);
        options.Extensions.Should().Contain([".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"]);
    }

    [Fact]
    public void Validate_EveryProblem_ReportedTogether()
    {
        var options = new ImageFolderOptions
        {
            Load = new ImageLoadOptions { MaxPixels = -1 },
            Extensions = [],
            InvalidImages = (InvalidImagePolicy)9,
        };

        var act = options.Validate;

        act.Should().Throw<ArgumentException>().Which.Message.Should()
            .Contain("MaxPixels").And.Contain("Extensions").And.Contain("InvalidImages");
    }

    [Fact]
    public void Validate_NullLoad_Throws()
    {
        var act = new ImageFolderOptions { Load = null! }.Validate;

        act.Should().Throw<ArgumentException>().WithMessage("*Load is required*");
    }
}
