using System;
using static TorchSharp.torch;

namespace Uqlib.Interop;

/// <summary>A NumPy array-protocol type string (<c>'&lt;f4'</c>, <c>'|b1'</c>, <c>'&gt;u8'</c>) and the TorchSharp dtype it reads into.</summary>
/// <remarks>
/// TorchSharp has no uint16, uint32 or uint64: uint16 reads into int32 and uint32 into int64 (every value fits), uint64 into int64 when every
/// value is below 2⁶³ (checked after reading). NumPy has no bfloat16, so that dtype cannot be written.
/// </remarks>
internal sealed record NpyDtype(char Kind, int Size, bool BigEndian)
{
    /// <summary>Gets the dtype of the raw bytes as TorchSharp reads them (before a bool's bytes become bool and an unsigned type is widened).</summary>
    public ScalarType Storage => (Kind, Size) switch
    {
        ('b', 1) or ('u', 1) => ScalarType.Byte,
        ('i', 1) => ScalarType.Int8,
        ('i', 2) or ('u', 2) => ScalarType.Int16,
        ('i', 4) or ('u', 4) => ScalarType.Int32,
        ('i', 8) or ('u', 8) => ScalarType.Int64,
        ('f', 2) => ScalarType.Float16,
        ('f', 4) => ScalarType.Float32,
        ('f', 8) => ScalarType.Float64,
        ('c', 8) => ScalarType.ComplexFloat32,
        _ => ScalarType.ComplexFloat64,
    };

    /// <summary>Gets the size in bytes of the unit whose byte order a big-endian file reverses (half the size for a complex number).</summary>
    public int SwapUnit => Kind == 'c' ? Size / 2 : Size;

    /// <summary>Gets NumPy's name of the type, for messages.</summary>
    public string Name => Kind switch
    {
        'b' => "bool",
        'i' => $"int{Size * 8}",
        'u' => $"uint{Size * 8}",
        'f' => $"float{Size * 8}",
        _ => $"complex{Size * 8}",
    };

    /// <summary>Parses a type string; <see langword="null"/> with a reason when it is not a plain numeric type that Uqlib reads.</summary>
    public static NpyDtype? Parse(string descr, out string reason)
    {
        reason = string.Empty;
        if (descr.Length < 3 || descr[0] is not ('<' or '>' or '|' or '='))
        {
            reason = $"its dtype '{descr}' is not a NumPy type string such as '<f4'";
            return null;
        }

        var kind = descr[1];
        if (kind == 'O')
        {
            reason = "it holds an object array (pickled Python objects), which Uqlib never reads: save a numeric array instead";
            return null;
        }

        if (!int.TryParse(descr.AsSpan(2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size)
            || !IsSupported(kind, size))
        {
            reason = $"its dtype '{descr}' is not supported (Uqlib reads bool, int8-int64, uint8-uint64, float16/32/64 and complex64/128)";
            return null;
        }

        var bigEndian = descr[0] switch
        {
            '>' => true,
            '<' => false,
            _ => !BitConverter.IsLittleEndian,
        };
        return new NpyDtype(kind, size, bigEndian && size > 1);
    }

    /// <summary>The little-endian NumPy type of a TorchSharp dtype; <see langword="null"/> for a dtype NumPy has no type for.</summary>
    public static NpyDtype? Of(ScalarType dtype)
    {
        return dtype switch
        {
            ScalarType.Bool => new NpyDtype('b', 1, false),
            ScalarType.Int8 => new NpyDtype('i', 1, false),
            ScalarType.Byte => new NpyDtype('u', 1, false),
            ScalarType.Int16 => new NpyDtype('i', 2, false),
            ScalarType.Int32 => new NpyDtype('i', 4, false),
            ScalarType.Int64 => new NpyDtype('i', 8, false),
            ScalarType.Float16 => new NpyDtype('f', 2, false),
            ScalarType.Float32 => new NpyDtype('f', 4, false),
            ScalarType.Float64 => new NpyDtype('f', 8, false),
            ScalarType.ComplexFloat32 => new NpyDtype('c', 8, false),
            ScalarType.ComplexFloat64 => new NpyDtype('c', 16, false),
            _ => null,
        };
    }

    /// <summary>Formats the type string as NumPy writes it (<c>|</c> for one-byte types).</summary>
    public string ToDescr()
    {
        var order = Size == 1 ? '|' : BigEndian ? '>' : '<';
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{order}{Kind}{Size}");
    }

    private static bool IsSupported(char kind, int size)
    {
        return kind switch
        {
            'b' => size == 1,
            'i' or 'u' => size is 1 or 2 or 4 or 8,
            'f' => size is 2 or 4 or 8,
            'c' => size is 8 or 16,
            _ => false,
        };
    }
}
