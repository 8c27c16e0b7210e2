using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using Uqlib.Imaging;

namespace Uqlib.Benchmarks;

/// <summary>
/// A batch of 64 grayscale 256 × 256 PNG files (8-bit, seeded noise) read into one (64, 1, 256, 256) float32 tensor;
/// the peer is Peers/image_loader_peer.py (Pillow + NumPy) on files written the same way.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class ImageLoaderBenchmarks
{
    private string folder = null!;
    private string[] paths = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        folder = Path.Combine(Path.GetTempPath(), "uqlib-image-benchmark");
        Directory.CreateDirectory(folder);
        paths = new string[64];
        var random = new Random(0);
        for (var i = 0; i < paths.Length; i++)
        {
            using var image = new Image<L8>(256, 256);
            for (var y = 0; y < 256; y++)
            {
                for (var x = 0; x < 256; x++)
                {
                    image[x, y] = new L8((byte)random.Next(256));
                }
            }

            paths[i] = Path.Combine(folder, $"{i:D2}.png");
            image.Save(paths[i], new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 });
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(folder, recursive: true);

    [Benchmark]
    public void LoadBatch() => ImageLoader.LoadBatch(paths).Dispose();

    /// <summary>ImageSharp's decoding alone (no checks, no conversion to floats), the floor under <see cref="LoadBatch"/>.</summary>
    [Benchmark]
    public void ImageSharpDecodeOnly()
    {
        foreach (var path in paths)
        {
            using var image = Image.Load<L8>(path);
        }
    }
}
