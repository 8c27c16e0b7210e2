namespace Uqlib.Imaging;

/// <summary>The channels an image is loaded with.</summary>
public enum ImageColorMode
{
    /// <summary>One channel of luminance, kept at 16 bits: 8-bit and 16-bit grayscale files lose nothing; colour files are converted with BT.709 weights.</summary>
    Grayscale = 0,

    /// <summary>Three channels, red, green and blue, kept at 16 bits per channel; grayscale files are replicated into all three.</summary>
    Rgb = 1,
}
