using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO;
using System.Numerics;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Uqlib.Imaging;

/// <summary>The checked decoding path shared by <see cref="ImageLoader"/> and <see cref="ImageFolderDataset"/>.</summary>
internal static class ImageReader
{
    /// <summary>Bytes per pixel granted to the decoder's allocator per allocation: generous for 16-bit RGB plus decoder buffers.</summary>
    private const long AllocatorBytesPerPixel = 32;

    private static readonly ConcurrentDictionary<long, Configuration> Configurations = new();

    /// <summary>An ImageSharp configuration that knows only PNG, JPEG, BMP and TIFF, with an allocator bounded for <paramref name="maxPixels"/>.</summary>
    public static Configuration ConfigurationFor(long maxPixels)
    {
        return Configurations.GetOrAdd(maxPixels, static pixels =>
        {
            var configuration = new Configuration(
                new PngConfigurationModule(), new JpegConfigurationModule(), new BmpConfigurationModule(), new TiffConfigurationModule());
            var megabytes = Math.Min(int.MaxValue, 64 + (pixels * AllocatorBytesPerPixel / (1024 * 1024)));
            configuration.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = (int)megabytes });
            return configuration;
        });
    }

    /// <summary>Reads a file whole (refusing files larger than an image of the allowed size can be) and decodes it.</summary>
    public static DecodedImage ReadFile(string path, ImageLoadOptions options)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"{path}: the image file does not exist.", path);
        }

        var largest = (options.MaxPixels * 8) + (16L * 1024 * 1024);
        if (info.Length > largest)
        {
            throw new InvalidImageException(path, Invariant(
                $"it is {info.Length} bytes long, more than an image of at most {options.MaxPixels} pixels can need ({largest} bytes); raise ImageLoadOptions.MaxPixels to accept it."),
                null);
        }

        return Decode(File.ReadAllBytes(path), path, options);
    }

    /// <summary>Identifies, checks and decodes one encoded image, naming <paramref name="name"/> in every error.</summary>
    public static DecodedImage Decode(byte[] bytes, string name, ImageLoadOptions options)
    {
        if (bytes.Length == 0)
        {
            throw new InvalidImageException(name, "the file is empty.", null);
        }

        // Damage that decoders forgive (or report vaguely) is found first, by the file's own signature.
        var problem = Sniff(bytes) switch
        {
            Signature.Png => ImageFileChecks.CheckPng(bytes),
            Signature.Jpeg => ImageFileChecks.CheckJpeg(bytes),
            Signature.Bmp => ImageFileChecks.CheckBmp(bytes),
            Signature.Tiff => ImageFileChecks.CheckTiff(bytes),
            _ => "it is not a PNG, JPEG, BMP or TIFF image (its first bytes match none of them).",
        };
        if (problem is not null)
        {
            throw new InvalidImageException(name, problem, null);
        }

        var configuration = ConfigurationFor(options.MaxPixels);
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            info = Image.Identify(configuration, stream, out format);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidImageException(name, $"its header cannot be read ({ex.Message}).", ex);
        }

        if (info is null || format is null)
        {
            throw new InvalidImageException(name, "it is not a PNG, JPEG, BMP or TIFF image that can be identified.", null);
        }

        var pixels = (long)info.Width * info.Height;
        if (info.Width < 1 || info.Height < 1 || pixels > options.MaxPixels)
        {
            throw new InvalidImageException(name, Invariant(
                $"its header claims {info.Width} × {info.Height} = {pixels} pixels, more than the limit of {options.MaxPixels} (ImageLoadOptions.MaxPixels); it was not decoded."),
                null);
        }

        if (format is PngFormat && ImageFileChecks.CheckPngImageData(bytes) is { } shortData)
        {
            throw new InvalidImageException(name, shortData, null);
        }

        try
        {
            var decoded = DecodePixels(configuration, bytes, name, options, info, format);
            Normalize(decoded, options);
            return decoded;
        }
        catch (InvalidImageException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidImageException(name, $"its {format.Name} data cannot be decoded ({ex.Message}).", ex);
        }
    }

    private enum Signature
    {
        Unknown,
        Png,
        Jpeg,
        Bmp,
        Tiff,
    }

    private static Signature Sniff(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return Signature.Png;
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return Signature.Jpeg;
        }

        if (bytes.StartsWith("BM"u8))
        {
            return Signature.Bmp;
        }

        return bytes.StartsWith("II*\0"u8) || bytes.StartsWith("MM\0*"u8) ? Signature.Tiff : Signature.Unknown;
    }

    /// <summary>
    /// Decodes into the narrowest pixel type that loses nothing: sources known to hold 8 bits per channel (8-bit grayscale PNG and
    /// JPEG as L8; JPEG, BMP and 8-bit PNG as Rgb24) give v / 255, everything else is decoded at 16 bits and gives v / 65535, the
    /// same floats for 8-bit values since v / 255 = 257 v / 65535. Images to be resized are always decoded at 16 bits.
    /// </summary>
    private static DecodedImage DecodePixels(
        Configuration configuration, byte[] bytes, string name, ImageLoadOptions options, IImageInfo info, IImageFormat format)
    {
        var png = format is PngFormat ? info.Metadata.GetPngMetadata() : null;
        // Resampling is computed in the pixel type: a resized image is decoded at 16 bits so that its interpolated values keep their precision.
        var pngEightBit = png is not null && png.BitDepth is not PngBitDepth.Bit16 && options.Resize is null;
        if (options.ColorMode == ImageColorMode.Rgb)
        {
            return (format is JpegFormat or BmpFormat && options.Resize is null) || pngEightBit
                ? Decode<Rgb24, byte>(configuration, bytes, name, options, 3, 255f)
                : Decode<Rgb48, ushort>(configuration, bytes, name, options, 3, 65535f);
        }

        var grayEightBit = (format is JpegFormat && info.PixelType.BitsPerPixel == 8 && options.Resize is null) || (pngEightBit && png!.ColorType == PngColorType.Grayscale);
        return grayEightBit
            ? Decode<L8, byte>(configuration, bytes, name, options, 1, 255f)
            : Decode<L16, ushort>(configuration, bytes, name, options, 1, 65535f);
    }

    /// <summary>Decodes as <typeparamref name="TPixel"/>, whose memory is <paramref name="channels"/> values of <typeparamref name="TValue"/> per pixel, into channel-major floats.</summary>
    private static DecodedImage Decode<TPixel, TValue>(
        Configuration configuration, byte[] bytes, string name, ImageLoadOptions options, int channels, float max)
        where TPixel : unmanaged, IPixel<TPixel>
        where TValue : unmanaged, INumberBase<TValue>
    {
        using var image = Image.Load<TPixel>(configuration, bytes);
        Transform(image, name, options);
        var width = image.Width;
        var plane = width * image.Height;
        var decoded = DecodedImage.Rent(channels, width, image.Height);
        var pixels = decoded.Buffer;
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var values = MemoryMarshal.Cast<TPixel, TValue>(rows.GetRowSpan(y));
                for (var c = 0; c < channels; c++)
                {
                    var target = pixels.AsSpan((c * plane) + (y * width), width);
                    for (var x = 0; x < target.Length; x++)
                    {
                        target[x] = float.CreateTruncating(values[(x * channels) + c]) / max;
                    }
                }
            }
        });
        return decoded;
    }

    private static void Transform<TPixel>(Image<TPixel> image, string name, ImageLoadOptions options)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        if (options.Resize is { } size && (size.Width != image.Width || size.Height != image.Height))
        {
            image.Mutate(context => context.Resize(size.Width, size.Height, KnownResamplers.Bicubic));
        }

        if (options.CenterCrop is { } crop)
        {
            if (crop.Width > image.Width || crop.Height > image.Height)
            {
                throw new InvalidImageException(name, Invariant(
                    $"it is {image.Width} × {image.Height} pixels, smaller than the centre crop of {crop.Width} × {crop.Height} (ImageLoadOptions.CenterCrop)."),
                    null);
            }

            var x = (image.Width - crop.Width) / 2;
            var y = (image.Height - crop.Height) / 2;
            image.Mutate(context => context.Crop(new Rectangle(x, y, crop.Width, crop.Height)));
        }
    }

    private static void Normalize(DecodedImage image, ImageLoadOptions options)
    {
        var pixels = image.Values;
        switch (options.Normalization)
        {
            case ImageNormalization.MinMax:
                var min = float.PositiveInfinity;
                var max = float.NegativeInfinity;
                foreach (var value in pixels)
                {
                    min = Math.Min(min, value);
                    max = Math.Max(max, value);
                }

                var range = max - min;
                for (var i = 0; i < pixels.Length; i++)
                {
                    pixels[i] = range > 0 ? (pixels[i] - min) / range : 0f;
                }

                break;
            case ImageNormalization.MeanStd:
                var plane = image.Width * image.Height;
                for (var c = 0; c < image.Channels; c++)
                {
                    var mean = options.Mean![c];
                    var std = options.Std![c];
                    var channel = pixels.Slice(c * plane, plane);
                    for (var i = 0; i < channel.Length; i++)
                    {
                        channel[i] = (float)((channel[i] - mean) / std);
                    }
                }

                break;
            default:
                break;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
