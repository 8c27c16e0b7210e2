namespace Uqlib.Imaging;

/// <summary>A size in pixels.</summary>
/// <param name="Width">The width in pixels; at least 1.</param>
/// <param name="Height">The height in pixels; at least 1.</param>
public readonly record struct ImageSize(int Width, int Height);
