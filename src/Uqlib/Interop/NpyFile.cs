using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Interop;

/// <summary>Reads and writes one <c>.npy</c> array on a stream, for <see cref="Npy"/> (a file) and <see cref="Npz"/> (a zip member).</summary>
/// <remarks>
/// Format: NumPy Enhancement Proposal 1 and <c>numpy/lib/format.py</c>. Every size a file claims is checked against the bytes it holds before
/// anything is allocated, so a hostile header cannot make the reader allocate more than the file (or the archive member) contains.
/// </remarks>
internal static class NpyFile
{
    /// <summary>The largest header read, as NumPy's own default (<c>max_header_size</c> = 10000).</summary>
    public const int MaxHeaderBytes = 10_000;

    /// <summary>The bytes copied per step between a stream and a tensor.</summary>
    private const long ChunkBytes = 1L << 26;

    /// <summary>Gets the six bytes every <c>.npy</c> file starts with.</summary>
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the header, leaving the stream at the first data byte; <paramref name="headerBytes"/> is the size of everything read.</summary>
    public static NpyHeader ReadHeader(Stream stream, string source, out long headerBytes)
    {
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, source, "its magic string and version");
        if (!prefix[..6].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{source} is not a .npy file: it does not start with NumPy's magic string \\x93NUMPY.");
        }

        var major = prefix[6];
        var minor = prefix[7];
        if (major is not (1 or 2 or 3) || minor != 0)
        {
            throw new InvalidDataException(
                string.Create(CultureInfo.InvariantCulture, $"{source} has .npy format version {major}.{minor}; Uqlib reads versions 1.0, 2.0 and 3.0."));
        }

        Span<byte> lengthBytes = stackalloc byte[4];
        var lengthSize = major == 1 ? 2 : 4;
        ReadExactly(stream, lengthBytes[..lengthSize], source, "its header length");
        long length = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes) : BinaryPrimitives.ReadUInt32LittleEndian(lengthBytes);
        if (length > MaxHeaderBytes)
        {
            throw new InvalidDataException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{source} declares a header of {length} bytes; Uqlib, like NumPy by default, reads headers of at most {MaxHeaderBytes} bytes."));
        }

        var header = new byte[length];
        ReadExactly(stream, header, source, "its header");
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        var parsed = NpyHeader.Parse(text, out var reason)
            ?? throw new InvalidDataException($"{source} is not a valid .npy file: {reason}. Header: {text.TrimEnd()}");
        headerBytes = 8 + lengthSize + length;
        return parsed;
    }

    /// <summary>Reads the data after the header into a new CPU tensor, checking first that exactly <paramref name="available"/> bytes hold it.</summary>
    public static Tensor ReadData(Stream stream, NpyHeader header, long available, string source)
    {
        var elements = header.Elements;
        var dtype = header.Dtype;
        if (elements < 0 || elements > long.MaxValue / dtype.Size)
        {
            throw new InvalidDataException(
                $"{source} claims a shape {header.ShapeText} of too many elements to exist: its header is wrong or hostile.");
        }

        var bytes = elements * dtype.Size;
        if (bytes > available)
        {
            throw new InvalidDataException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{source} is truncated or its header is wrong: its shape {header.ShapeText} claims {elements} elements of {dtype.Name} ({bytes} bytes), but only {available} bytes follow the header."));
        }

        if (bytes < available)
        {
            throw new InvalidDataException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{source} holds more data than its header declares: shape {header.ShapeText} of {dtype.Name} needs {bytes} bytes, but {available} follow the header."));
        }

        using var scope = torch.NewDisposeScope();
        var storageShape = header.FortranOrder ? Reversed(header.Shape) : header.Shape;
        var raw = torch.empty(storageShape, dtype.Storage);
        Fill(stream, raw, dtype, source);
        EnsureEnd(stream, source);
        if (header.FortranOrder && header.Shape.Length > 1)
        {
            var order = new long[header.Shape.Length];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = order.Length - 1 - i;
            }

            raw = raw.permute(order).contiguous();
        }

        return Finish(raw, dtype, source).MoveToOuterDisposeScope();
    }

    /// <summary>Writes <paramref name="array"/> in format 1.0, little-endian and C order, exactly as <c>np.save</c> writes the same array.</summary>
    public static void Write(Stream stream, Tensor array, string name)
    {
        var dtype = NpyDtype.Of(array.dtype)
            ?? throw new ArgumentException(
                $"{name} has dtype {array.dtype}, which NumPy has no type for; convert it first (for bfloat16: .to(ScalarType.Float32)).", name);
        var header = new NpyHeader(dtype, false, array.shape);
        stream.Write(header.Format());
        using var scope = torch.NewDisposeScope();
        var data = array.detach().cpu().contiguous().reshape(-1);
        var step = ChunkBytes / dtype.Size;
        for (long start = 0; start < data.shape[0]; start += step)
        {
            using var part = data.narrow(0, start, Math.Min(step, data.shape[0] - start));
            if (BitConverter.IsLittleEndian)
            {
                stream.Write(part.bytes);
            }
            else
            {
                var copy = part.bytes.ToArray();
                Swap(copy, dtype.SwapUnit);
                stream.Write(copy);
            }
        }
    }

    private static void Fill(Stream stream, Tensor raw, NpyDtype dtype, string source)
    {
        var flat = raw.view(-1);
        var total = flat.shape[0];
        var step = ChunkBytes / dtype.Size;
        var swap = dtype.BigEndian == BitConverter.IsLittleEndian;
        for (long start = 0; start < total; start += step)
        {
            using var part = flat.narrow(0, start, Math.Min(step, total - start));
            var span = part.bytes;
            ReadExactly(stream, span, source, "its data");
            if (swap)
            {
                Swap(span, dtype.SwapUnit);
            }
        }
    }

    private static Tensor Finish(Tensor raw, NpyDtype dtype, string source)
    {
        switch (dtype.Kind, dtype.Size)
        {
            case ('b', _):
                return raw.to(ScalarType.Bool);
            case ('u', 2):
                return raw.to(ScalarType.Int32).bitwise_and_(0xFFFF);
            case ('u', 4):
                return raw.to(ScalarType.Int64).bitwise_and_(0xFFFF_FFFFL);
            case ('u', 8):
                var above = raw.lt(0);
                if (above.any().item<bool>())
                {
                    var count = above.sum().item<long>();
                    var first = above.reshape(-1).nonzero()[0, 0].item<long>();
                    throw new InvalidDataException(
                        string.Create(CultureInfo.InvariantCulture,
                            $"{source} holds uint64 values that no TorchSharp integer dtype holds: {count} are 2^63 or more (first at flat index {first}). Convert them in NumPy first (e.g. to float64)."));
                }

                return raw;
            default:
                return raw;
        }
    }

    private static void Swap(Span<byte> span, int unit)
    {
        switch (unit)
        {
            case 2:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(span), MemoryMarshal.Cast<byte, ushort>(span));
                break;
            case 4:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(span), MemoryMarshal.Cast<byte, uint>(span));
                break;
            case 8:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(span), MemoryMarshal.Cast<byte, ulong>(span));
                break;
        }
    }

    private static void EnsureEnd(Stream stream, string source)
    {
        Span<byte> one = stackalloc byte[1];
        if (stream.Read(one) != 0)
        {
            throw new InvalidDataException($"{source} holds more data than its header and its size declare: it is corrupt or hostile.");
        }
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string source, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{source} is truncated: it ends inside {what}.", e);
        }
    }

    private static long[] Reversed(long[] shape)
    {
        var result = (long[])shape.Clone();
        Array.Reverse(result);
        return result;
    }
}
