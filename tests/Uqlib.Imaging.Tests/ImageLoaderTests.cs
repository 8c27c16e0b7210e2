using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using Uqlib.Imaging.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Imaging.Tests;

public sealed class ImageLoaderTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Load_SixteenBitGrayscalePng_KeepsEveryLevel()
    {
        // Values that 8 bits cannot hold: odd, not multiples of 257, spread over the whole range.
        static ushort Value(int x, int y) => (ushort)((((y * 32) + x) * 64) + 1 + (x % 7));
        var path = folder.Write("deep.png", TestImages.Gray16(32, 32, Value));

        using var tensor = ImageLoader.Load(path);

        tensor.shape.Should().Equal(1, 1, 32, 32);
        tensor.dtype.Should().Be(ScalarType.Float32);
        var pixels = tensor.data<float>().ToArray();
        for (var y = 0; y < 32; y++)
        {
            for (var x = 0; x < 32; x++)
            {
                pixels[(y * 32) + x].Should().Be(Value(x, y) / 65535f, "pixel ({0}, {1}) keeps its 16-bit value", x, y);
            }
        }

        pixels.Distinct().Count().Should().Be(1024, "an 8-bit squeeze would leave at most 256 levels");
    }

    [Fact]
    public void Load_SixteenBitRgbPng_KeepsEveryLevel()
    {
        using var source = new SixLabors.ImageSharp.Image<Rgb48>(2, 1);
        source[0, 0] = new Rgb48(1, 2, 65534);
        source[1, 0] = new Rgb48(40000, 12345, 3);
        var path = folder.Write("deep-rgb.png", TestImages.Encode(source, new SixLabors.ImageSharp.Formats.Png.PngEncoder
        {
            ColorType = SixLabors.ImageSharp.Formats.Png.PngColorType.Rgb,
            BitDepth = SixLabors.ImageSharp.Formats.Png.PngBitDepth.Bit16,
        }));

        using var tensor = ImageLoader.Load(path, new ImageLoadOptions { ColorMode = ImageColorMode.Rgb });

        tensor.data<float>().ToArray().Should().Equal(new[] { 1f, 40000, 2, 12345, 65534, 3 }.Select(v => v / 65535f));
    }

    [Fact]
    public void Load_ResizedEightBitImage_KeepsInterpolatedPrecision()
    {
        var path = folder.Write("two.png", TestImages.Gray8(2, 1, (x, _) => (byte)(x == 0 ? 0 : 1)));

        using var tensor = ImageLoader.Load(path, new ImageLoadOptions { Resize = new ImageSize(7, 1) });

        var values = tensor.data<float>().ToArray();
        values.Should().HaveCount(7);
        values.Select(v => v * 255).Should().Contain(v => Math.Abs(v - Math.Round(v)) > 1e-3, "interpolation between 0 and 1 of 255 keeps fractions of a level");
    }

    [Fact]
    public void Load_EightBitGrayscalePng_GivesValueOver255()
    {
        var path = folder.Write("gray.png", TestImages.Gray8(16, 16, (x, y) => (byte)((y * 16) + x)));

        using var tensor = ImageLoader.Load(path);

        tensor.data<float>().ToArray().Should().Equal(Enumerable.Range(0, 256).Select(v => v / 255f));
    }

    [Theory]
    [InlineData("png")]
    [InlineData("bmp")]
    [InlineData("tiff")]
    public void Load_LosslessRgb_GivesChannelsInOrder(string format)
    {
        var path = folder.Write("rgb." + format, TestImages.Rgb(3, 2, (x, y) => new Rgb24((byte)(10 * x), (byte)(100 + y), 200), TestImages.EncoderFor(format)));

        using var tensor = ImageLoader.Load(path, new ImageLoadOptions { ColorMode = ImageColorMode.Rgb });

        tensor.shape.Should().Equal(1, 3, 2, 3);
        tensor[0, 0].data<float>().ToArray().Should().Equal(new[] { 0f, 10, 20, 0, 10, 20 }.Select(v => v / 255f));
        tensor[0, 1].data<float>().ToArray().Should().Equal(new[] { 100f, 100, 100, 101, 101, 101 }.Select(v => v / 255f));
        tensor[0, 2].data<float>().ToArray().Should().AllBeEquivalentTo(200 / 255f);
    }

    [Fact]
    public void Load_Jpeg_GivesColoursWithinCompressionError()
    {
        var path = folder.Write("flat.jpg", TestImages.Rgb(16, 16, (_, _) => new Rgb24(200, 60, 30), TestImages.EncoderFor("jpeg")));

        using var tensor = ImageLoader.Load(path, new ImageLoadOptions { ColorMode = ImageColorMode.Rgb });

        tensor.shape.Should().Equal(1, 3, 16, 16);
        tensor[0, 0].mean().ToSingle().Should().BeApproximately(200 / 255f, 3 / 255f);
        tensor[0, 1].mean().ToSingle().Should().BeApproximately(60 / 255f, 3 / 255f);
        tensor[0, 2].mean().ToSingle().Should().BeApproximately(30 / 255f, 3 / 255f);
    }

    [Fact]
    public void Load_RgbAsGrayscale_UsesBt709Luminance()
    {
        var path = folder.Write("red.png", TestImages.Rgb(2, 2, (_, _) => new Rgb24(255, 0, 0), TestImages.PngRgb));

        using var tensor = ImageLoader.Load(path);

        tensor.shape.Should().Equal(1, 1, 2, 2);
        tensor.data<float>().ToArray().Should().AllSatisfy(v => v.Should().BeApproximately(0.2126f, 1e-3f));
    }

    [Fact]
    public void Load_GrayscaleAsRgb_ReplicatesTheChannel()
    {
        var path = folder.Write("gray.png", TestImages.Gray8(2, 1, (x, _) => (byte)(x == 0 ? 51 : 204)));

        using var tensor = ImageLoader.Load(path, new ImageLoadOptions { ColorMode = ImageColorMode.Rgb });

        for (var c = 0; c < 3; c++)
        {
            tensor[0, c].data<float>().ToArray().Should().Equal(0.2f, 0.8f);
        }
    }

    [Fact]
    public void Load_ResizeAndCenterCrop_GivesTheCentre()
    {
        var path = folder.Write("ramp.png", TestImages.Gray8(8, 6, (x, y) => (byte)((10 * y) + x)));

        using var cropped = ImageLoader.Load(path, new ImageLoadOptions { CenterCrop = new ImageSize(4, 2) });
        using var resized = ImageLoader.Load(path, new ImageLoadOptions { Resize = new ImageSize(16, 12), CenterCrop = new ImageSize(10, 10) });

        cropped.shape.Should().Equal(1, 1, 2, 4);
        cropped.data<float>().ToArray().Should().Equal(new[] { 22f, 23, 24, 25, 32, 33, 34, 35 }.Select(v => v / 255f));
        resized.shape.Should().Equal(1, 1, 10, 10);
    }

    [Fact]
    public void Load_CropLargerThanImage_ThrowsNamingTheFile()
    {
        var path = folder.Write("small.png", TestImages.Gray8(4, 4, (_, _) => 1));

        var act = () => ImageLoader.Load(path, new ImageLoadOptions { CenterCrop = new ImageSize(8, 8) });

        act.Should().Throw<InvalidImageException>().Which.Message.Should().Contain(path).And.Contain("centre crop");
    }

    [Fact]
    public void Load_MinMax_ScalesEachImageToUnitRange()
    {
        var path = folder.Write("band.png", TestImages.Gray8(4, 1, (x, _) => (byte)(50 + (10 * x))));

        using var tensor = ImageLoader.Load(path, new ImageLoadOptions { Normalization = ImageNormalization.MinMax });

        var values = tensor.data<float>().ToArray();
        values[0].Should().Be(0f);
        values[3].Should().Be(1f);
        values[1].Should().BeApproximately(1f / 3, 1e-6f);
    }

    [Fact]
    public void Load_MinMaxOfConstantImage_GivesZerosNotNaN()
    {
        var path = folder.Write("flat.png", TestImages.Gray8(3, 3, (_, _) => 77));

        using var tensor = ImageLoader.Load(path, new ImageLoadOptions { Normalization = ImageNormalization.MinMax });

        tensor.data<float>().ToArray().Should().AllBeEquivalentTo(0f);
    }

    [Fact]
    public void Load_MeanStd_AppliesPerChannel()
    {
        var path = folder.Write("rgb.png", TestImages.Rgb(1, 1, (_, _) => new Rgb24(255, 0, 51), TestImages.PngRgb));
        var options = new ImageLoadOptions
        {
            ColorMode = ImageColorMode.Rgb,
            Normalization = ImageNormalization.MeanStd,
            Mean = [0.5, 0.25, 0.2],
            Std = [0.5, 0.25, 0.1],
        };

        using var tensor = ImageLoader.Load(path, options);

        var values = tensor.data<float>().ToArray();
        values[0].Should().BeApproximately(1f, 1e-6f);
        values[1].Should().BeApproximately(-1f, 1e-6f);
        values[2].Should().BeApproximately(0f, 1e-6f);
    }

    [Fact]
    public void Load_Stream_NamesTheStreamInErrors()
    {
        using var stream = new MemoryStream(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 });

        var act = () => ImageLoader.Load(stream, "upload-17");

        act.Should().Throw<InvalidImageException>().Which.FilePath.Should().Be("upload-17");
    }

    [Fact]
    public void Load_Stream_ReadsTheImage()
    {
        using var stream = new MemoryStream(TestImages.Gray8(2, 2, (x, y) => (byte)(x + y)));

        using var tensor = ImageLoader.Load(stream, "memory");

        tensor.shape.Should().Equal(1, 1, 2, 2);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        var act = () => ImageLoader.Load(Path.Combine(folder.Path, "none.png"));

        act.Should().Throw<FileNotFoundException>().WithMessage("*none.png*");
    }

    [Fact]
    public void Load_NullArguments_Throw()
    {
        FluentActions.Invoking(() => ImageLoader.Load((string)null!)).Should().Throw<ArgumentNullException>().WithParameterName("path");
        FluentActions.Invoking(() => ImageLoader.Load((Stream)null!, "x")).Should().Throw<ArgumentNullException>().WithParameterName("stream");
    }

    [Fact]
    public void Load_InvalidOptions_ThrowsBeforeReading()
    {
        var act = () => ImageLoader.Load("unused.png", new ImageLoadOptions { MaxPixels = 0 });

        act.Should().Throw<ArgumentException>().WithMessage("*MaxPixels*");
    }

    [Fact]
    public void Load_LeavesOnlyTheResultAlive()
    {
        var path = folder.Write("a.png", TestImages.Gray8(4, 4, (x, y) => (byte)(x * y)));
        var before = LiveTensors.Count;

        using (ImageLoader.Load(path))
        {
            LiveTensors.Count.Should().Be(before + 1);
        }

        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void LoadBatch_StacksInOrder()
    {
        var paths = Enumerable.Range(0, 3).Select(i => folder.Write($"{i}.png", TestImages.Gray8(2, 2, (_, _) => (byte)(10 * i)))).ToArray();

        using var batch = ImageLoader.LoadBatch(paths);

        batch.shape.Should().Equal(3, 1, 2, 2);
        batch.mean([1, 2, 3]).data<float>().ToArray().Should().Equal(0f, 10 / 255f, 20 / 255f);
    }

    [Fact]
    public void LoadBatch_DifferentSizes_ThrowsNamingTheOddFile()
    {
        var first = folder.Write("a.png", TestImages.Gray8(2, 2, (_, _) => 0));
        var second = folder.Write("b.png", TestImages.Gray8(3, 2, (_, _) => 0));

        var act = () => ImageLoader.LoadBatch([first, second]);

        act.Should().Throw<InvalidImageException>().Where(e => e.FilePath == second && e.Message.Contains("Resize"));
    }

    [Fact]
    public void LoadBatch_Empty_Throws()
    {
        var act = () => ImageLoader.LoadBatch(Array.Empty<string>());

        act.Should().Throw<ArgumentException>().WithParameterName("paths");
    }

    // Hostile files: each gives an InvalidImageException whose message names the file.

    [Fact]
    public void Load_RandomBytes_ThrowsNamingTheFile()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        var path = folder.Write("noise.png", bytes);

        var act = () => ImageLoader.Load(path);

        act.Should().Throw<InvalidImageException>()
            .Where(e => e.FilePath == path && e.Message.StartsWith(path, StringComparison.Ordinal) && e.Message.Contains("not a PNG, JPEG, BMP or TIFF"));
    }

    [Fact]
    public void Load_PngSignatureThenRandomBytes_ThrowsNamingTheFile()
    {
        var bytes = new byte[4096];
        new Random(8).NextBytes(bytes);
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(bytes, 0);
        var path = folder.Write("fake.png", bytes);

        var act = () => ImageLoader.Load(path);

        act.Should().Throw<InvalidImageException>().Which.FilePath.Should().Be(path);
    }

    [Fact]
    public void Load_EmptyFile_ThrowsNamingTheFile()
    {
        var path = folder.Write("empty.png", []);

        var act = () => ImageLoader.Load(path);

        act.Should().Throw<InvalidImageException>().Which.Message.Should().Contain(path).And.Contain("empty");
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    [InlineData("bmp")]
    [InlineData("tiff")]
    public void Load_FileCutInHalf_ThrowsNamingTheFile(string format)
    {
        var whole = TestImages.Noise(64, 64, 3, TestImages.EncoderFor(format));
        var path = folder.Write("half." + format, whole[..(whole.Length / 2)]);

        var act = () => ImageLoader.Load(path, new ImageLoadOptions { ColorMode = ImageColorMode.Rgb });

        act.Should().Throw<InvalidImageException>().Where(e => e.FilePath == path && e.Message.Contains("truncated"));
    }

    [Fact]
    public void Load_PngTruncatedInsideImageData_ThrowsAlthoughTheDecoderWouldFillZeros()
    {
        var whole = TestImages.Noise(64, 64, 4, TestImages.PngRgb);
        var idat = TestImages.FindChunk(whole, "IDAT");
        var path = folder.Write("cut.png", whole[..(idat + 8 + 100)]);

        var act = () => ImageLoader.Load(path);

        act.Should().Throw<InvalidImageException>()
            .Where(e => e.FilePath == path && e.Message.Contains("truncated inside the image data"));
    }

    [Fact]
    public void ImageSharp_PngTruncatedInsideImageData_DecodesWithoutError()
    {
        // The premise of the IEND check: ImageSharp 2.1.13 alone accepts a PNG cut after part of its image data
        // (here inside the second of its IDAT chunks) and returns an image whose missing rows are zeros.
        var whole = TestImages.SplitImageData(TestImages.Gray8(256, 256, (x, y) => (byte)(1 + ((x * 7) ^ (y * 13)) % 255)), 4096);
        var second = TestImages.FindChunk(whole, "IDAT") + 12 + 4096;
        var cut = whole[..(second + 8 + 1000)];
        using (var intact = SixLabors.ImageSharp.Image.Load<L8>(whole))
        {
            intact[255, 255].PackedValue.Should().BeGreaterThan(0);
        }

        using var image = SixLabors.ImageSharp.Image.Load<L8>(cut);

        image[0, 0].PackedValue.Should().BeGreaterThan(0);
        image[255, 255].PackedValue.Should().Be(0, "the missing rows are silently zero");
        var path = folder.Write("silently-cut.png", cut);
        FluentActions.Invoking(() => ImageLoader.Load(path)).Should().Throw<InvalidImageException>().WithMessage("*truncated inside the image data*");
    }

    [Fact]
    public void Load_PngWithoutEndChunk_ThrowsNamingTheFile()
    {
        var whole = TestImages.Gray8(8, 8, (x, y) => (byte)(x ^ y));
        var iend = TestImages.FindChunk(whole, "IEND");
        var path = folder.Write("no-end.png", whole[..iend]);

        var act = () => ImageLoader.Load(path);

        act.Should().Throw<InvalidImageException>().Where(e => e.FilePath == path && e.Message.Contains("no IEND chunk"));
    }

    [Fact]
    public void Load_PngCrcError_ThrowsNamingTheFileAndChunk()
    {
        var bytes = TestImages.Noise(16, 16, 5, TestImages.PngRgb);
        var idat = TestImages.FindChunk(bytes, "IDAT");
        bytes[idat + 8 + 20] ^= 0x5A;
        var path = folder.Write("crc.png", bytes);

        var act = () => ImageLoader.Load(path);

        act.Should().Throw<InvalidImageException>().Where(e => e.FilePath == path && e.Message.Contains("CRC error in its IDAT chunk"));
    }

    [Fact]
    public void Load_HeaderClaiming20000By20000_ThrowsBeforeDecoding()
    {
        var path = folder.Write("bomb.png", TestImages.PngClaimingSize(20000, 20000));
        new FileInfo(path).Length.Should().BeLessThan(100_000, "the file itself is small; only its header is hostile");
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var act = () => ImageLoader.Load(path);

        act.Should().Throw<InvalidImageException>()
            .Where(e => e.FilePath == path && e.Message.Contains("20000 × 20000") && e.Message.Contains("MaxPixels"));
        (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore).Should().BeLessThan(50_000_000, "nothing of the image's size was allocated");
    }

    [Fact]
    public void Load_PngWhoseCompressedDataHoldsTenOf64Rows_ThrowsNamingTheFile()
    {
        // Every chunk is complete and its CRC right: ImageSharp 2.1 decodes it without error and leaves rows 10 to 63 at 0.
        var path = folder.Write("short.png", TestImages.PngClaimingSize(64, 64, rows: 10));

        var act = () => ImageLoader.Load(path);

        act.Should().Throw<InvalidImageException>().Where(e => e.FilePath == path && e.Message.Contains("10 of its 64 rows"));
    }

    [Fact]
    public void Load_8000By8000HeaderWithTenBytesOfData_ThrowsBeforeAllocatingTheImage()
    {
        var path = folder.Write("hollow.png", TestImages.PngClaimingSize(8000, 8000, rows: 0));
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var act = () => ImageLoader.Load(path);

        act.Should().Throw<InvalidImageException>().Where(e => e.FilePath == path && e.Message.Contains("8000 × 8000") && e.Message.Contains("truncated"));
        (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore).Should().BeLessThan(50_000_000, "the 64-megapixel image was never allocated");
    }

    [Fact]
    public void Load_MaxPixelsIsConfigurable()
    {
        var path = folder.Write("ten.png", TestImages.Gray8(10, 10, (_, _) => 0));

        FluentActions.Invoking(() => ImageLoader.Load(path, new ImageLoadOptions { MaxPixels = 99 }))
            .Should().Throw<InvalidImageException>().WithMessage("*limit of 99*");
        using var accepted = ImageLoader.Load(path, new ImageLoadOptions { MaxPixels = 100 });
        accepted.shape.Should().Equal(1, 1, 10, 10);
    }

    [Fact]
    public void Crc32_MatchesTheIendConstantAndTheBitwiseCrc()
    {
        ImageFileChecks.Crc32("IEND"u8).Should().Be(0xAE426082u);
        var data = new byte[1000];
        new Random(9).NextBytes(data);
        ImageFileChecks.Crc32(data).Should().Be(TestImages.Crc(data));
    }
}
