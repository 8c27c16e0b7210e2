using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Imaging;

/// <summary>Loads PNG, JPEG, BMP and TIFF files as float32 tensors of shape (N, C, H, W).</summary>
/// <remarks>
/// Every file is identified first and refused, before any pixel memory is allocated, when its header claims more than
/// <see cref="ImageLoadOptions.MaxPixels"/> pixels; then checked for damage that decoders forgive (a PNG without its end chunk or
/// with a CRC error, a JPEG without its end marker, a BMP or TIFF shorter than its headers declare); then decoded at 16 bits per
/// channel, so 16-bit grayscale keeps all 65536 levels. Thread-safe.
/// </remarks>
public static class ImageLoader
{
    /// <summary>Loads one image file as a tensor of shape (1, C, H, W).</summary>
    /// <param name="path">The image file: PNG, JPEG, BMP or TIFF.</param>
    /// <param name="options">How to load it, or <see langword="null"/> for the defaults (grayscale, values in [0, 1]).</param>
    /// <returns>A float32 tensor of shape (1, C, H, W) on the CPU; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidImageException">The file is not a complete, valid image of a supported format, is larger than allowed, or is smaller than the centre crop; the message names the file.</exception>
    public static Tensor Load(string path, ImageLoadOptions? options = null)
    {
        Preconditions.NotNull(path, nameof(path));
        options = Checked(options);
        return ToTensor(ImageReader.ReadFile(path, options));
    }

    /// <summary>Loads one encoded image from a stream as a tensor of shape (1, C, H, W).</summary>
    /// <param name="stream">The encoded image; read to its end and not disposed.</param>
    /// <param name="name">The name that errors give for the image (a file name or URL).</param>
    /// <param name="options">How to load it, or <see langword="null"/> for the defaults.</param>
    /// <returns>A float32 tensor of shape (1, C, H, W) on the CPU; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid.</exception>
    /// <exception cref="InvalidImageException">The bytes are not a complete, valid image of a supported format, or it is larger than allowed; the message gives <paramref name="name"/>.</exception>
    public static Tensor Load(Stream stream, string name, ImageLoadOptions? options = null)
    {
        Preconditions.NotNull(stream, nameof(stream));
        Preconditions.NotNull(name, nameof(name));
        options = Checked(options);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return ToTensor(ImageReader.Decode(buffer.ToArray(), name, options));
    }

    /// <summary>Loads several image files of one size (after resizing and cropping) as one tensor of shape (N, C, H, W).</summary>
    /// <param name="paths">The image files, at least one, in the order of the batch.</param>
    /// <param name="options">How to load them, or <see langword="null"/> for the defaults.</param>
    /// <returns>A float32 tensor of shape (N, C, H, W) on the CPU; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="paths"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="paths"/> is empty, or <paramref name="options"/> is invalid.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidImageException">A file is invalid, or its size differs from the first file's; the message names it.</exception>
    public static Tensor LoadBatch(IReadOnlyList<string> paths, ImageLoadOptions? options = null)
    {
        Preconditions.NotNull(paths, nameof(paths));
        if (paths.Count == 0)
        {
            throw new ArgumentException("paths is empty: a batch needs at least one image file.", nameof(paths));
        }

        options = Checked(options);
        return ReadBatch(paths, options);
    }

    /// <summary>Reads files into one contiguous buffer and makes one tensor; sizes must agree.</summary>
    internal static Tensor ReadBatch(IReadOnlyList<string> paths, ImageLoadOptions options)
    {
        Tensor? batch = null;
        var first = default(DecodedImage);
        try
        {
            for (var i = 0; i < paths.Count; i++)
            {
                var path = paths[i] ?? throw new ArgumentNullException(nameof(paths), string.Create(CultureInfo.InvariantCulture, $"paths[{i}] is null."));
                var image = ImageReader.ReadFile(path, options);
                try
                {
                    if (batch is null)
                    {
                        first = image;
                        batch = torch.empty([paths.Count, image.Channels, image.Height, image.Width], ScalarType.Float32);
                    }
                    else if (image.Width != first.Width || image.Height != first.Height)
                    {
                        throw new InvalidImageException(path, string.Create(CultureInfo.InvariantCulture,
                            $"it is {image.Width} × {image.Height} pixels but {paths[0]} is {first.Width} × {first.Height}; set ImageLoadOptions.Resize or CenterCrop to batch images of different sizes."),
                            null);
                    }

                    using var row = batch[i];
                    image.CopyTo(row);
                }
                finally
                {
                    image.Release();
                }
            }

            return batch!;
        }
        catch
        {
            batch?.Dispose();
            throw;
        }
    }

    private static Tensor ToTensor(DecodedImage image)
    {
        try
        {
            var tensor = torch.empty([1, image.Channels, image.Height, image.Width], ScalarType.Float32);
            image.CopyTo(tensor);
            return tensor;
        }
        finally
        {
            image.Release();
        }
    }

    private static ImageLoadOptions Checked(ImageLoadOptions? options)
    {
        options ??= new ImageLoadOptions();
        options.Validate();
        return options;
    }
}
