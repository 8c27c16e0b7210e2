using System;

namespace Uqlib.Imaging;

/// <summary>Colour lookup for <see cref="ColorMap"/>: 65 anchors taken from matplotlib 3.6 (tests/Uqlib.Imaging.Tests/Reference/make_colormaps.py).</summary>
internal static class ColorMaps
{
    private const int Intervals = 64;

    private static readonly byte[] Viridis =
    [
        68, 1, 84, 70, 7, 90, 71, 13, 96, 71, 19, 101, 72, 24, 106, 72, 29, 111, 72, 35, 116, 72, 40, 120,
        71, 45, 123, 70, 50, 126, 69, 55, 129, 68, 59, 132, 66, 64, 134, 64, 69, 136, 62, 73, 137, 61, 78, 138,
        59, 82, 139, 57, 86, 140, 55, 91, 141, 53, 95, 141, 51, 99, 141, 49, 103, 142, 47, 107, 142, 46, 111, 142,
        44, 114, 142, 42, 118, 142, 41, 122, 142, 39, 126, 142, 38, 130, 142, 37, 133, 142, 35, 137, 142, 34, 141, 141,
        33, 145, 140, 31, 148, 140, 31, 152, 139, 30, 156, 137, 31, 160, 136, 32, 163, 134, 34, 167, 133, 37, 171, 130,
        40, 174, 128, 45, 178, 125, 50, 182, 122, 56, 185, 119, 63, 188, 115, 70, 192, 111, 78, 195, 107, 86, 198, 103,
        94, 201, 98, 103, 204, 92, 112, 207, 87, 122, 209, 81, 132, 212, 75, 142, 214, 69, 152, 216, 62, 162, 218, 55,
        173, 220, 48, 184, 222, 41, 194, 223, 35, 205, 225, 29, 216, 226, 25, 226, 228, 24, 236, 229, 27, 246, 230, 32,
        253, 231, 37,
    ];

    private static readonly byte[] Inferno =
    [
        0, 0, 4, 2, 1, 10, 4, 3, 18, 7, 5, 27, 11, 7, 36, 16, 9, 45, 21, 11, 55, 27, 12, 65,
        33, 12, 74, 40, 11, 83, 47, 10, 91, 54, 9, 97, 61, 9, 101, 68, 10, 104, 74, 12, 107, 81, 14, 108,
        87, 16, 110, 93, 18, 110, 100, 21, 110, 106, 23, 110, 113, 25, 110, 119, 28, 109, 125, 30, 109, 132, 32, 107,
        138, 34, 106, 144, 37, 104, 151, 39, 102, 157, 41, 100, 163, 44, 97, 169, 46, 94, 176, 49, 91, 182, 52, 88,
        188, 55, 84, 193, 58, 80, 199, 62, 76, 204, 66, 72, 210, 70, 68, 215, 75, 63, 219, 80, 59, 224, 85, 54,
        228, 90, 49, 232, 96, 45, 235, 102, 40, 239, 108, 35, 241, 115, 29, 244, 121, 24, 246, 128, 19, 248, 135, 14,
        249, 142, 9, 251, 150, 6, 251, 157, 7, 252, 165, 10, 252, 172, 17, 252, 180, 24, 251, 188, 33, 250, 196, 42,
        249, 203, 53, 247, 211, 64, 245, 219, 76, 243, 227, 90, 242, 234, 105, 241, 241, 121, 243, 246, 138, 248, 251, 154,
        252, 255, 164,
    ];

    /// <summary>The colour of <paramref name="t"/> in [0, 1] (values outside are clamped).</summary>
    public static (byte R, byte G, byte B) Lookup(ColorMap map, double t)
    {
        t = double.IsNaN(t) ? 0 : Math.Clamp(t, 0, 1);
        if (map == ColorMap.Gray)
        {
            var v = (byte)Math.Round(t * 255);
            return (v, v, v);
        }

        var table = map == ColorMap.Inferno ? Inferno : Viridis;
        var position = t * Intervals;
        var low = Math.Min((int)position, Intervals - 1);
        var fraction = position - low;
        return (Mix(table, low, 0, fraction), Mix(table, low, 1, fraction), Mix(table, low, 2, fraction));
    }

    private static byte Mix(byte[] table, int low, int channel, double fraction)
    {
        var a = table[(3 * low) + channel];
        var b = table[(3 * (low + 1)) + channel];
        return (byte)Math.Round(a + ((b - a) * fraction));
    }
}
