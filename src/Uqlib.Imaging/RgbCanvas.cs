using System;
using System.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Uqlib.Imaging;

/// <summary>An 8-bit RGB pixel buffer, white to start with, that encodes itself as PNG.</summary>
internal sealed class RgbCanvas
{
    private readonly byte[] pixels;

    public RgbCanvas(int width, int height)
    {
        Width = width;
        Height = height;
        pixels = new byte[checked(3 * width * height)];
        pixels.AsSpan().Fill(255);
    }

    public int Width { get; }

    public int Height { get; }

    public void Set(int x, int y, (byte R, byte G, byte B) color)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
        {
            return;
        }

        var at = 3 * ((y * Width) + x);
        pixels[at] = color.R;
        pixels[at + 1] = color.G;
        pixels[at + 2] = color.B;
    }

    public void SavePng(Stream stream)
    {
        using var image = Image.LoadPixelData<Rgb24>(pixels, Width, Height);
        image.Save(stream, new PngEncoder { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 });
    }
}
