using System;
using System.Buffers.Binary;

namespace Uqlib.Plotting.Tests.TestSupport;

/// <summary>Reads a PNG's signature and the size in its IHDR chunk.</summary>
internal static class PngInfo
{
    private static readonly byte[] Signature = { 137, 80, 78, 71, 13, 10, 26, 10 };

    public static (int Width, int Height) Size(byte[] png)
    {
        if (png.Length < 24 || !png.AsSpan(0, 8).SequenceEqual(Signature))
        {
            throw new FormatException("Not a PNG file.");
        }

        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
    }
}
