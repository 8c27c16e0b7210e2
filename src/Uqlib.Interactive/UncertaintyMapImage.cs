using System;
using System.Buffers.Binary;
using System.IO;
using Uqlib.Imaging;
using static TorchSharp.torch;

namespace Uqlib.Interactive;

/// <summary>An uncertainty map rendered to a PNG (colour-mapped, or over its input image), which a notebook displays as an image.</summary>
/// <remarks>
/// Rendered once when made, by <see cref="UncertaintyMaps"/>, so it holds no tensor and outlives the tensors it was made
/// from. Immutable and thread-safe.
/// </remarks>
public sealed class UncertaintyMapImage
{
    private readonly byte[] png;

    private UncertaintyMapImage(byte[] png, string caption)
    {
        this.png = png;
        Caption = caption;
        Width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4));
        Height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4));
    }

    /// <summary>Gets the image's width in pixels.</summary>
    public int Width { get; }

    /// <summary>Gets the image's height in pixels.</summary>
    public int Height { get; }

    /// <summary>Gets the caption, used as the image's alternative text.</summary>
    public string Caption { get; }

    /// <summary>Renders a map as a colour-mapped image with a colour bar, as <see cref="UncertaintyMaps.SaveColorMapped(Tensor, Stream, HeatMapOptions?)"/> does.</summary>
    /// <param name="map">The map <c>(H, W)</c> (or with leading dimensions of size 1), finite.</param>
    /// <param name="options">Colour map, range and colour bar; <see langword="null"/> for the defaults.</param>
    /// <param name="caption">The caption (alternative text).</param>
    /// <returns>The rendered image.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="map"/> or <paramref name="caption"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="map"/> has a shape, dtype or values that <see cref="UncertaintyMaps"/> refuses, or <paramref name="options"/> is invalid.</exception>
    public static UncertaintyMapImage ColorMapped(Tensor map, HeatMapOptions? options = null, string caption = "Uncertainty map")
    {
        Preconditions.NotNull(caption, nameof(caption));
        using var stream = new MemoryStream();
        UncertaintyMaps.SaveColorMapped(map, stream, options);
        return new UncertaintyMapImage(stream.ToArray(), caption);
    }

    /// <summary>Renders a map as a translucent heat map over its grayscale input image, as <see cref="UncertaintyMaps.SaveOverlay(Tensor, Tensor, Stream, HeatMapOptions?)"/> does.</summary>
    /// <param name="image">The input image <c>(C, H, W)</c> or <c>(H, W)</c>, of the map's height and width.</param>
    /// <param name="map">The map <c>(H, W)</c>, finite.</param>
    /// <param name="options">Colour map, range, opacity and colour bar; <see langword="null"/> for the defaults.</param>
    /// <param name="caption">The caption (alternative text).</param>
    /// <returns>The rendered image.</returns>
    /// <exception cref="ArgumentNullException">A tensor or <paramref name="caption"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensors have shapes, dtypes or values that <see cref="UncertaintyMaps"/> refuses, or <paramref name="options"/> is invalid.</exception>
    public static UncertaintyMapImage Overlay(Tensor image, Tensor map, HeatMapOptions? options = null, string caption = "Uncertainty map over the image")
    {
        Preconditions.NotNull(caption, nameof(caption));
        using var stream = new MemoryStream();
        UncertaintyMaps.SaveOverlay(image, map, stream, options);
        return new UncertaintyMapImage(stream.ToArray(), caption);
    }

    /// <summary>Returns the PNG file's bytes.</summary>
    /// <returns>A copy of the bytes.</returns>
    public byte[] ToPng() => (byte[])png.Clone();

    /// <summary>Writes the PNG to a file.</summary>
    /// <param name="path">The file to write (overwritten).</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        File.WriteAllBytes(path, png);
    }

    internal string ToHtml() => ImageHtml.Png(png, Width, Height, Caption);
}
