using System;
using FluentAssertions;
using Uqlib.Imaging.Tests.TestSupport;
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

    [Theory]
    [MemberData(nameof(TestImages.JpegKinds), MemberType = typeof(TestImages))]
    public void Decode_TruncatedJpeg_IsRefusedNamingTheFile(string kind)
    {
        var bytes = TestImages.Jpeg(kind);
        var whole = ImageReader.Decode(bytes, "whole.jpg", new ImageLoadOptions());
        whole.Width.Should().Be(TestImageWidth(bytes));
        whole.Release();

        foreach (var length in new[] { 3, 20, bytes.Length / 3, bytes.Length / 2, bytes.Length * 9 / 10, bytes.Length - 2, bytes.Length - 1 })
        {
            var act = () => ImageReader.Decode(bytes[..length], "scans/cut.jpg", new ImageLoadOptions());

            act.Should().Throw<InvalidImageException>().WithMessage("scans/cut.jpg: *truncated*").Which.FilePath.Should().Be("scans/cut.jpg");
        }
    }

    /// <summary>The width in the JPEG's frame header, found by walking its segments to SOFn.</summary>
    private static int TestImageWidth(byte[] jpeg)
    {
        var i = 2;
        while (jpeg[i + 1] is not (0xC0 or 0xC1 or 0xC2))
        {
            i += 2 + ((jpeg[i + 2] << 8) | jpeg[i + 3]);
        }

        return (jpeg[i + 7] << 8) | jpeg[i + 8];
    }
}
