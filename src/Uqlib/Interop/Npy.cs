using System;
using System.IO;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Interop;

/// <summary>Reads and writes NumPy <c>.npy</c> files as TorchSharp tensors, so that arrays saved in Python with <c>np.save</c> come in with one call.</summary>
/// <remarks>
/// <para>
/// Format: NumPy's <c>.npy</c> format, versions 1.0, 2.0 and 3.0 (NEP 1, <c>numpy/lib/format.py</c>). Read: bool, int8–int64, uint8–uint64,
/// float16/32/64 and complex64/128, C or Fortran order, either byte order; the tensor returned is always C-contiguous, native-endian and on the CPU.
/// </para>
/// <para>
/// TorchSharp has uint8 but no uint16, uint32 or uint64, so those are widened losslessly: uint16 reads as int32, uint32 as int64, and uint64 as
/// int64 when every value is below 2⁶³ (otherwise the file is refused: no TorchSharp integer type holds the values, convert them in NumPy).
/// </para>
/// <para>
/// Hostile or damaged files are refused with an <see cref="InvalidDataException"/> naming the file, before anything large is allocated: a wrong
/// magic string or version, a header that is not the plain dict NumPy writes (it is parsed, never evaluated), a header over 10000 bytes (NumPy's own
/// default limit), object arrays (pickles are never read), structured or string dtypes, and a shape that does not match the bytes the file holds.
/// </para>
/// <para>Write: format 1.0, little-endian, C order; the bytes are identical to what <c>np.save</c> (NumPy 1.24 or later) writes for the same array.</para>
/// </remarks>
public static class Npy
{
    /// <summary>Reads a <c>.npy</c> file into a new CPU tensor of the file's shape.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The array; the caller disposes it. Its dtype is the file's (bool, int8, uint8 as byte, int16, int32, int64, float16, float32, float64,
    /// complex64, complex128), except uint16 → int32 and uint32/uint64 → int64.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid <c>.npy</c> file of a supported dtype, is truncated, holds more data than its
    /// header declares, or holds uint64 values of 2⁶³ or more.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Tensor Read(string path)
    {
        Preconditions.FilePath(path, nameof(path));
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var header = NpyFile.ReadHeader(stream, path, out var headerBytes);
        return NpyFile.ReadData(stream, header, stream.Length - headerBytes, path);
    }

    /// <summary>Writes a tensor to a <c>.npy</c> file that <c>np.load</c> reads, replacing the file only once it is completely written.</summary>
    /// <param name="path">The file; overwritten.</param>
    /// <param name="array">The tensor, on any device, of any dtype NumPy has (every TorchSharp dtype except bfloat16 and the quantized ones); not disposed.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank, or <paramref name="array"/> has a dtype NumPy has no type for.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="array"/> has been disposed.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, Tensor array)
    {
        Preconditions.FilePath(path, nameof(path));
        Preconditions.Live(array, nameof(array));
        AtomicFile.Write(path, stream => NpyFile.Write(stream, array, nameof(array)));
    }
}
