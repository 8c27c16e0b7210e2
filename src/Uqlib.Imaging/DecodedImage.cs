namespace Uqlib.Imaging;

/// <summary>Pixels of one decoded image, channel-major (C, H, W), already normalised.</summary>
internal readonly record struct DecodedImage(float[] Pixels, int Channels, int Width, int Height);
