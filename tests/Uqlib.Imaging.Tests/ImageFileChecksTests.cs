using System;
using System.Linq;
using FluentAssertions;
using Uqlib.Imaging.Tests.TestSupport;
using Xunit;

namespace Uqlib.Imaging.Tests;

public sealed class ImageFileChecksTests
{
    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("bmp")]
    [InlineData("tiff")]
    public void Checks_WholeFiles_FindNothing(string format)
    {
        var bytes = TestImages.Noise(17, 9, 1, TestImages.EncoderFor(format));

        Check(format, bytes).Should().BeNull();
    }

    [Fact]
    public void CheckJpeg_TrailingBytesAfterEndMarker_Accepted()
    {
        var bytes = TestImages.Noise(8, 8, 2, TestImages.EncoderFor("jpeg")).Concat(new byte[] { 0, 0, 0x12, 0x34 }).ToArray();

        ImageFileChecks.CheckJpeg(bytes).Should().BeNull();
    }

    [Fact]
    public void CheckPng_FirstChunkNotHeader_Reported()
    {
        var bytes = TestImages.Gray8(4, 4, (_, _) => 9);
        var idat = TestImages.FindChunk(bytes, "IDAT");
        var withoutHeader = bytes[..8].Concat(bytes[idat..]).ToArray();

        ImageFileChecks.CheckPng(withoutHeader).Should().Contain("not IHDR");
    }

    [Fact]
    public void CheckPng_NoImageData_Reported()
    {
        var bytes = TestImages.Gray8(4, 4, (_, _) => 9);
        var idat = TestImages.FindChunk(bytes, "IDAT");
        var iend = TestImages.FindChunk(bytes, "IEND");
        var withoutData = bytes[..idat].Concat(bytes[iend..]).ToArray();

        ImageFileChecks.CheckPng(withoutData).Should().Contain("no IDAT chunk");
    }

    [Theory]
    [InlineData("png", 20)]
    [InlineData("jpeg", 20)]
    [InlineData("bmp", 20)]
    [InlineData("tiff", 20)]
    [InlineData("bmp", 1)]
    [InlineData("tiff", 2)] // its last byte is word-alignment padding after the Software tag, so 2 are cut
    public void Checks_FilesMissingTheirLastBytes_Reported(string format, int missing)
    {
        var bytes = TestImages.Noise(16, 16, 3, TestImages.EncoderFor(format));

        Check(format, bytes[..^missing]).Should().Contain("truncated");
    }

    private static string? Check(string format, byte[] bytes) => format switch
    {
        "png" => ImageFileChecks.CheckPng(bytes),
        "jpeg" => ImageFileChecks.CheckJpeg(bytes),
        "bmp" => ImageFileChecks.CheckBmp(bytes),
        _ => ImageFileChecks.CheckTiff(bytes),
    };
}
