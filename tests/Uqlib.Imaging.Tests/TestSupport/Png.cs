using System.IO;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Uqlib.Imaging.Tests.TestSupport;

/// <summary>Decodes PNG output of the library for pixel checks.</summary>
internal static class Png
{
    public static Image<Rgb24> Decode(byte[] bytes) => Image.Load<Rgb24>(bytes);

    public static Image<Rgb24> Decode(MemoryStream stream) => Image.Load<Rgb24>(stream.ToArray());
}
