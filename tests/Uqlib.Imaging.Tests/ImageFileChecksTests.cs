using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using FluentAssertions;
using SixLabors.ImageSharp.Formats.Png;
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

    [Theory]
    [MemberData(nameof(TestImages.JpegKinds), MemberType = typeof(TestImages))]
    public void CheckJpeg_WholeFilesWithAndWithoutTrailingBytes_FindNothing(string kind)
    {
        var bytes = TestImages.Jpeg(kind);

        ImageFileChecks.CheckJpeg(bytes).Should().BeNull();
        ImageFileChecks.CheckJpeg(bytes.Concat(new byte[] { 0, 0xFF, 0xD8, 0x12 }).ToArray()).Should().BeNull();
    }

    [Theory]
    [MemberData(nameof(TestImages.JpegKinds), MemberType = typeof(TestImages))]
    public void CheckJpeg_CutAtAnyOffset_ReportedAsTruncated(string kind)
    {
        var bytes = TestImages.Jpeg(kind);

        // Every cut, from inside SOI's first segment to the last byte of EOI, inside headers, tables and (every) scan's data.
        for (var length = 2; length < bytes.Length; length++)
        {
            ImageFileChecks.CheckJpeg(bytes.AsSpan(0, length)).Should().Contain("truncated", "the file was cut to {0} of {1} bytes", length, bytes.Length);
        }
    }

    [Theory]
    [InlineData("gray-noise", 0)]
    [InlineData("420-noise", 5)]
    [InlineData("444-noise", 8)]
    [InlineData("420-flat", 50)]
    [InlineData("progressive_rgb", 2)]
    public void CheckJpeg_ScanDataCutButEndMarkerKept_ReportedBelowTheLeastLength(string kind, int kept)
    {
        // The first scan keeps `kept` bytes of entropy-coded data and the file then ends with EOI: every marker is in place.
        var bytes = TestImages.Jpeg(kind);
        var scan = FindMarker(bytes, 0xDA);
        var data = scan + 2 + ((bytes[scan + 2] << 8) | bytes[scan + 3]);
        var crafted = bytes[..(data + kept)].Concat(new byte[] { 0xFF, 0xD9 }).ToArray();

        ImageFileChecks.CheckJpeg(crafted).Should().Contain(FormattableString.Invariant($"holds {kept} bytes of entropy-coded data")).And.Contain("truncated");
    }

    [Fact]
    public void CheckJpeg_CutAfterACommentHoldingTheEndMarkerBytes_ReportedAsTruncated()
    {
        // A comment segment holding the bytes FF D9 between two progressive scans, then the file cut inside the second scan: only a walk of the
        // segments (not a search for FF D9 after the first scan) sees that the real end-of-image marker is missing.
        var bytes = TestImages.Jpeg("progressive_rgb");
        var first = FindMarker(bytes, 0xDA);
        var second = first + 2;
        while (bytes[second] != 0xFF || bytes[second + 1] is 0x00 or (>= 0xD0 and <= 0xD7))
        {
            second++;
        }

        var withComment = bytes[..second].Concat(new byte[] { 0xFF, 0xFE, 0x00, 0x04, 0xFF, 0xD9 }).Concat(bytes[second..]).ToArray();
        ImageFileChecks.CheckJpeg(withComment).Should().BeNull();

        ImageFileChecks.CheckJpeg(withComment[..(withComment.Length - 30)]).Should().Contain("truncated");
    }

    [Fact]
    public void CheckJpeg_NotStartingWithStartOfImage_Reported()
    {
        ImageFileChecks.CheckJpeg(new byte[] { 0xFF, 0xD9 }).Should().Contain("start-of-image");
    }

    [Fact]
    public void CheckJpeg_GarbageWhereAMarkerMustBe_ReportedAsCorrupt()
    {
        var bytes = TestImages.Jpeg("gray-noise");
        var scan = FindMarker(bytes, 0xDA);
        bytes[scan] = 0x17;

        ImageFileChecks.CheckJpeg(bytes).Should().Contain(FormattableString.Invariant($"byte {scan} is 0x17")).And.Contain("corrupt");
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

    [Fact]
    public void CheckPngImageData_OfACompleteFileHoldingTenOf64Rows_ReportsTheMissingRows()
    {
        var bytes = TestImages.PngClaimingSize(64, 64, rows: 10);
        ImageFileChecks.CheckPng(bytes).Should().BeNull("every chunk is complete; only the compressed data is short");

        ImageFileChecks.CheckPngImageData(bytes).Should().Contain("10 of its 64 rows").And.Contain("truncated");
        ImageFileChecks.CheckPngImageData(TestImages.PngClaimingSize(64, 64, rows: 64)).Should().BeNull();
    }

    public static TheoryData<string, int, int> EncodedPngs => new()
    {
        { "gray8", 1, 1 }, { "gray8", 17, 9 }, { "gray16", 5, 3 }, { "rgb8", 33, 7 }, { "rgba16", 9, 13 }, { "palette", 10, 10 }, { "gray1", 13, 5 },
        { "gray8-adam7", 1, 1 }, { "gray8-adam7", 3, 5 }, { "rgb8-adam7", 17, 9 }, { "rgba16-adam7", 9, 13 }, { "gray2-adam7", 7, 11 },
    };

    [Theory]
    [MemberData(nameof(EncodedPngs))]
    public void CheckPngImageData_OfWholeFilesFromAnEncoder_FindsNothing(string kind, int width, int height)
    {
        // Real encoder output of every colour type, bit depth and interlacing: the expected data length must match exactly.
        var (color, depth) = kind.Split('-')[0] switch
        {
            "gray8" => (PngColorType.Grayscale, PngBitDepth.Bit8),
            "gray16" => (PngColorType.Grayscale, PngBitDepth.Bit16),
            "gray1" => (PngColorType.Grayscale, PngBitDepth.Bit1),
            "gray2" => (PngColorType.Grayscale, PngBitDepth.Bit2),
            "rgb8" => (PngColorType.Rgb, PngBitDepth.Bit8),
            "rgba16" => (PngColorType.RgbWithAlpha, PngBitDepth.Bit16),
            _ => (PngColorType.Palette, PngBitDepth.Bit8),
        };
        var encoder = new PngEncoder { ColorType = color, BitDepth = depth, InterlaceMethod = kind.EndsWith("adam7", StringComparison.Ordinal) ? PngInterlaceMode.Adam7 : PngInterlaceMode.None };
        var bytes = TestImages.Noise(width, height, 3, encoder);
        ImageFileChecks.CheckPngImageData(bytes).Should().BeNull();

        // The same file with its last compressed bytes re-encoded short (one byte of scanline data missing) is caught.
        var header = bytes.AsSpan(16, 13);
        var needed = ImageFileChecks.PngImageDataLength(width, height, header[8], header[9], header[12] == 1);
        var shortData = Repack(bytes, needed - 1);
        ImageFileChecks.CheckPngImageData(shortData).Should().Contain("truncated");
    }

    [Fact]
    public void CheckTiff_UncompressedStripsShorterThanTheHeaderClaims_Reported()
    {
        // A complete file whose StripByteCounts cover 10 of its 64 rows: every strip lies inside the file, but rows 10 to 63 have no bytes.
        var bytes = TestImages.Gray8(64, 64, (x, y) => (byte)(x + y), TestImages.EncoderFor("tiff"));
        ImageFileChecks.CheckTiff(bytes).Should().BeNull();
        var shortened = WithStripByteCounts(bytes, 64 * 10);

        ImageFileChecks.CheckTiff(shortened).Should().Contain("hold 640 bytes").And.Contain("64 × 64").And.Contain("truncated");
    }

    private static string? Check(string format, byte[] bytes) => format switch
    {
        "png" => ImageFileChecks.CheckPng(bytes),
        "jpeg" => ImageFileChecks.CheckJpeg(bytes),
        "bmp" => ImageFileChecks.CheckBmp(bytes),
        _ => ImageFileChecks.CheckTiff(bytes),
    };

    private static int FindMarker(byte[] jpeg, byte marker)
    {
        for (var i = 2; ; i += 2 + ((jpeg[i + 2] << 8) | jpeg[i + 3]))
        {
            if (jpeg[i + 1] == marker)
            {
                return i;
            }
        }
    }

    /// <summary>The PNG with its image data replaced by the first <paramref name="keep"/> bytes of its own inflated scanlines, recompressed in one IDAT chunk.</summary>
    private static byte[] Repack(byte[] png, long keep)
    {
        var idat = TestImages.FindChunk(png, "IDAT");
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(idat));
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(new MemoryStream(png, idat + 8, length), CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(inflated.ToArray().AsSpan(0, (int)keep));
        }

        var data = compressed.ToArray();
        var chunk = new byte[12 + data.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        "IDAT"u8.CopyTo(chunk.AsSpan(4));
        data.CopyTo(chunk, 8);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), TestImages.Crc(chunk.AsSpan(4, 4 + data.Length)));
        return png[..idat].Concat(chunk).Concat(png[(idat + 12 + length)..]).ToArray();
    }

    /// <summary>The TIFF with its (single) strip byte count set to <paramref name="count"/>, every other byte unchanged.</summary>
    private static byte[] WithStripByteCounts(byte[] tiff, int count)
    {
        var result = (byte[])tiff.Clone();
        var little = result[0] == (byte)'I';
        var ifd = (int)(little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(result.AsSpan(4)) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(result.AsSpan(4)));
        int entries = little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(result.AsSpan(ifd)) : System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(result.AsSpan(ifd));
        for (var e = 0; e < entries; e++)
        {
            var entry = ifd + 2 + (e * 12);
            var tag = little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(result.AsSpan(entry)) : System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(result.AsSpan(entry));
            var n = little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(result.AsSpan(entry + 4)) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(result.AsSpan(entry + 4));
            if (tag == 279)
            {
                n.Should().Be(1u, "the test image is written as one strip");
                var type = little ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(result.AsSpan(entry + 2)) : System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(result.AsSpan(entry + 2));
                if (type == 3)
                {
                    result[entry + 8] = little ? (byte)(count & 0xFF) : (byte)(count >> 8);
                    result[entry + 9] = little ? (byte)(count >> 8) : (byte)(count & 0xFF);
                }
                else if (little)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(entry + 8), (uint)count);
                }
                else
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(entry + 8), (uint)count);
                }

                return result;
            }
        }

        throw new InvalidOperationException("No StripByteCounts tag.");
    }
}
