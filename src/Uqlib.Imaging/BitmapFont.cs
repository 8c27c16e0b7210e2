using System;

namespace Uqlib.Imaging;

/// <summary>A 3 × 5 pixel font for the digits of colour-bar labels, so that labels need no font file.</summary>
internal static class BitmapFont
{
    public const int GlyphWidth = 3;
    public const int GlyphHeight = 5;
    private const string Characters = "0123456789.-+E";

    // Five rows of three bits per glyph, most significant bit on the left.
    private static readonly byte[][] Glyphs =
    [
        [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 7, 1, 7], [5, 5, 7, 1, 1],
        [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 1, 1, 1], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
        [0, 0, 0, 0, 2], [0, 0, 7, 0, 0], [0, 2, 7, 2, 0], [7, 4, 7, 4, 7],
    ];

    /// <summary>The width in pixels of <paramref name="text"/> drawn at <paramref name="scale"/>, one blank column between glyphs.</summary>
    public static int Measure(string text, int scale) => text.Length == 0 ? 0 : ((text.Length * (GlyphWidth + 1)) - 1) * scale;

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>); unknown characters are left blank.</summary>
    public static void Draw(RgbCanvas canvas, string text, int x, int y, int scale, (byte R, byte G, byte B) color)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var index = Characters.IndexOf(char.ToUpperInvariant(text[i]), StringComparison.Ordinal);
            if (index < 0)
            {
                continue;
            }

            var left = x + (i * (GlyphWidth + 1) * scale);
            for (var row = 0; row < GlyphHeight; row++)
            {
                for (var column = 0; column < GlyphWidth; column++)
                {
                    if ((Glyphs[index][row] & (4 >> column)) == 0)
                    {
                        continue;
                    }

                    for (var dy = 0; dy < scale; dy++)
                    {
                        for (var dx = 0; dx < scale; dx++)
                        {
                            canvas.Set(left + (column * scale) + dx, y + (row * scale) + dy, color);
                        }
                    }
                }
            }
        }
    }
}
