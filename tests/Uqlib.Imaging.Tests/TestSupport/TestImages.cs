using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace Uqlib.Imaging.Tests.TestSupport;

/// <summary>Images generated for the tests: well-formed files written by ImageSharp, and hostile bytes crafted by hand.</summary>
internal static class TestImages
{
    public static readonly PngEncoder Png8Gray = new() { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 };
    public static readonly PngEncoder Png16Gray = new() { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 };
    public static readonly PngEncoder PngRgb = new() { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 };

    public static IImageEncoder EncoderFor(string format) => format switch
    {
        "png" => PngRgb,
        "jpeg" => new JpegEncoder { Quality = 95 },
        "bmp" => new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 },
        "tiff" => new TiffEncoder { Compression = SixLabors.ImageSharp.Formats.Tiff.Constants.TiffCompression.None },
        _ => throw new ArgumentException(format, nameof(format)),
    };

    /// <summary>
    /// JPEGs of every kind the structure check must accept: ImageSharp's baseline encoder (grayscale, 4:2:0, 4:4:4; noise and flat images at
    /// sizes that are not multiples of the block size) and Pillow's progressive files under Reference/jpeg (written by make_progressive_jpeg.py).
    /// </summary>
    public static TheoryData<string> JpegKinds => new()
    {
        "gray-noise", "420-noise", "444-noise", "420-flat", "gray-flat", "progressive_rgb", "progressive_gray", "progressive_flat",
    };

    /// <summary>A whole JPEG of one of the <see cref="JpegKinds"/>.</summary>
    public static byte[] Jpeg(string kind)
    {
        if (kind.StartsWith("progressive", StringComparison.Ordinal))
        {
            return File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Reference", "jpeg", kind + ".jpg"));
        }

        var parts = kind.Split('-');
        var encoder = new JpegEncoder
        {
            Quality = 75,
            ColorType = parts[0] switch { "gray" => JpegColorType.Luminance, "420" => JpegColorType.YCbCrRatio420, _ => JpegColorType.YCbCrRatio444 },
        };
        return parts[1] == "noise" ? Noise(37, 23, 14, encoder) : Rgb(203, 121, (_, _) => new Rgb24(128, 128, 128), encoder);
    }

    /// <summary>A 16-bit grayscale PNG of the given row-major values.</summary>
    public static byte[] Gray16(int width, int height, Func<int, int, ushort> value)
    {
        using var image = new Image<L16>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new L16(value(x, y));
            }
        }

        return Encode(image, Png16Gray);
    }

    /// <summary>An 8-bit grayscale image of the given values.</summary>
    public static byte[] Gray8(int width, int height, Func<int, int, byte> value, IImageEncoder? encoder = null)
    {
        using var image = new Image<L8>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new L8(value(x, y));
            }
        }

        return Encode(image, encoder ?? Png8Gray);
    }

    /// <summary>An 8-bit RGB image of the given colours.</summary>
    public static byte[] Rgb(int width, int height, Func<int, int, Rgb24> color, IImageEncoder encoder)
    {
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = color(x, y);
            }
        }

        return Encode(image, encoder);
    }

    /// <summary>A noisy RGB image (which compresses poorly, so its image data is most of the file).</summary>
    public static byte[] Noise(int width, int height, int seed, IImageEncoder encoder)
    {
        var random = new Random(seed);
        return Rgb(width, height, (_, _) => new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), encoder);
    }

    public static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    /// <summary>A well-formed PNG (every chunk complete, CRCs right, IEND present) whose header claims <paramref name="width"/> × <paramref name="height"/> 8-bit gray pixels but whose zlib stream holds <paramref name="rows"/> rows of value 200.</summary>
    public static byte[] PngClaimingSize(int width, int height, int rows = 1)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (var row = 0; row < rows; row++)
            {
                var line = new byte[1 + width];
                line.AsSpan(1).Fill(200);
                zlib.Write(line);
            }
        }

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>The same PNG with its image data split over IDAT chunks of at most <paramref name="piece"/> bytes, as libpng writes them.</summary>
    public static byte[] SplitImageData(byte[] png, int piece)
    {
        var idat = FindChunk(png, "IDAT");
        var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(idat));
        var data = png.AsSpan(idat + 8, length).ToArray();
        using var result = new MemoryStream();
        result.Write(png, 0, idat);
        for (var start = 0; start < data.Length; start += piece)
        {
            WriteChunk(result, "IDAT", data[start..Math.Min(data.Length, start + piece)]);
        }

        result.Write(png, idat + 12 + length, png.Length - (idat + 12 + length));
        return result.ToArray();
    }

    /// <summary>The byte offset of the first chunk of <paramref name="type"/> in a PNG (its length field).</summary>
    public static int FindChunk(byte[] png, string type)
    {
        var position = 8;
        while (position + 8 <= png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(position));
            if (Encoding.ASCII.GetString(png, position + 4, 4) == type)
            {
                return position;
            }

            position += 12 + length;
        }

        throw new InvalidOperationException($"No {type} chunk.");
    }

    /// <summary>The PNG CRC-32, bit by bit (the test's own implementation, independent of the library's table).</summary>
    public static uint Crc(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        var buffer = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(buffer, data.Length);
        Encoding.ASCII.GetBytes(type, buffer.AsSpan(4));
        data.CopyTo(buffer, 8);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(8 + data.Length), Crc(buffer.AsSpan(4, 4 + data.Length)));
        stream.Write(buffer);
    }
}
