using System;
using System.Buffers;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Uqlib.Imaging;

/// <summary>
/// Pixels of one decoded image, channel-major (C, H, W), already normalised, in an array rented from the shared pool
/// (large per-image arrays would otherwise churn the large-object heap): call <see cref="Release"/> once done.
/// </summary>
internal readonly record struct DecodedImage(float[] Buffer, int Channels, int Width, int Height)
{
    public int Length => Channels * Width * Height;

    public Span<float> Values => Buffer.AsSpan(0, Length);

    public static DecodedImage Rent(int channels, int width, int height) =>
        new(ArrayPool<float>.Shared.Rent(checked(channels * width * height)), channels, width, height);

    public void Release() => ArrayPool<float>.Shared.Return(Buffer);

    /// <summary>Copies the pixels into a contiguous CPU float32 tensor of <see cref="Length"/> elements, straight into its native memory.</summary>
    public void CopyTo(Tensor target) => Values.CopyTo(MemoryMarshal.Cast<byte, float>(target.bytes));
}
