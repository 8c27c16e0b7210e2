using System;
using FluentAssertions;
using SixLabors.ImageSharp.Memory;
using Xunit;

namespace Uqlib.Imaging.Tests;

public sealed class ImageReaderTests
{
    [Fact]
    public void ConfigurationFor_BoundsTheAllocatorByMaxPixels()
    {
        var small = ImageReader.ConfigurationFor(1000);

        using (small.MemoryAllocator.Allocate<byte>(8 * 1024 * 1024))
        {
        }

        var act = () => small.MemoryAllocator.Allocate<byte>(200 * 1024 * 1024);
        act.Should().Throw<InvalidMemoryOperationException>();
    }

    [Fact]
    public void ConfigurationFor_KnowsOnlyTheFourFormats()
    {
        var configuration = ImageReader.ConfigurationFor(ImageLoadOptions.DefaultMaxPixels);

        configuration.ImageFormats.Should().HaveCount(4);
        ImageReader.ConfigurationFor(ImageLoadOptions.DefaultMaxPixels).Should().BeSameAs(configuration);
    }

    [Fact]
    public void Decode_Gif_IsRefusedAsUnsupported()
    {
        var gif = "GIF89a"u8.ToArray();

        var act = () => ImageReader.Decode(gif, "anim.gif", new ImageLoadOptions());

        act.Should().Throw<InvalidImageException>().WithMessage("anim.gif: it is not a PNG, JPEG, BMP or TIFF image*");
    }
}
