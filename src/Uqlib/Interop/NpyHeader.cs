using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Uqlib.Interop;

/// <summary>The header of a <c>.npy</c> array: its type, its memory order and its shape, as NumPy's format documents it.</summary>
/// <remarks>
/// The header is the text of a Python dict literal with exactly the keys <c>descr</c>, <c>fortran_order</c> and <c>shape</c>
/// (NumPy's <c>numpy/lib/format.py</c>). Only that literal subset is parsed: quoted strings, <c>True</c>/<c>False</c> and tuples of
/// non-negative integers; anything else is refused, never evaluated.
/// </remarks>
internal sealed record NpyHeader(NpyDtype Dtype, bool FortranOrder, long[] Shape)
{
    /// <summary>The alignment NumPy pads the magic, the length and the header to (<c>ARRAY_ALIGN</c>).</summary>
    private const int Align = 64;

    /// <summary>NumPy's spare spaces after the dict (<c>GROWTH_AXIS_MAX_DIGITS</c>), so that the header can grow in place.</summary>
    private const int GrowthDigits = 21;

    /// <summary>Gets the number of elements, or −1 when the product overflows a 64-bit integer.</summary>
    public long Elements
    {
        get
        {
            long count = 1;
            foreach (var dimension in Shape)
            {
                if (dimension != 0 && count > long.MaxValue / dimension)
                {
                    return -1;
                }

                count *= dimension;
            }

            return count;
        }
    }

    /// <summary>Gets the shape as Python prints it (<c>(2, 3)</c>, <c>(5,)</c>, <c>()</c>).</summary>
    public string ShapeText => Shape.Length switch
    {
        0 => "()",
        1 => string.Create(CultureInfo.InvariantCulture, $"({Shape[0]},)"),
        _ => "(" + string.Join(", ", Array.ConvertAll(Shape, d => d.ToString(CultureInfo.InvariantCulture))) + ")",
    };

    /// <summary>Parses the header text; <see langword="null"/> with the reason when it is not a valid header.</summary>
    public static NpyHeader? Parse(string text, out string reason)
    {
        var parser = new Parser(text);
        var fields = parser.Dict(out reason);
        if (fields is null)
        {
            return null;
        }

        foreach (var key in fields.Keys)
        {
            if (key is not ("descr" or "fortran_order" or "shape"))
            {
                reason = $"its header has the unknown key '{key}' (a .npy header has exactly 'descr', 'fortran_order' and 'shape')";
                return null;
            }
        }

        foreach (var key in new[] { "descr", "fortran_order", "shape" })
        {
            if (!fields.ContainsKey(key))
            {
                reason = $"its header has no '{key}' key";
                return null;
            }
        }

        if (fields["descr"] is not string descr)
        {
            reason = "its dtype is structured (a list of fields); Uqlib reads plain numeric arrays only";
            return null;
        }

        if (fields["fortran_order"] is not bool fortran)
        {
            reason = "its 'fortran_order' is not True or False";
            return null;
        }

        if (fields["shape"] is not long[] shape)
        {
            reason = "its 'shape' is not a tuple of non-negative integers";
            return null;
        }

        var dtype = NpyDtype.Parse(descr, out reason);
        return dtype is null ? null : new NpyHeader(dtype, fortran, shape);
    }

    /// <summary>Formats the whole header as NumPy 1.24 and later write it for C-order data: magic, version 1.0, length, dict, padding.</summary>
    public byte[] Format()
    {
        var dict = $"{{'descr': '{Dtype.ToDescr()}', 'fortran_order': {(FortranOrder ? "True" : "False")}, 'shape': {ShapeText}, }}";
        if (Shape.Length > 0)
        {
            var growing = Shape[FortranOrder ? ^1 : 0].ToString(CultureInfo.InvariantCulture);
            dict += new string(' ', GrowthDigits - growing.Length);
        }

        var length = dict.Length + 1;
        var padding = Align - ((NpyFile.Magic.Length + 2 + 2 + length) % Align);
        var total = NpyFile.Magic.Length + 2 + 2 + length + padding;
        if (length + padding > ushort.MaxValue)
        {
            throw new InvalidOperationException("A .npy header longer than 65535 bytes cannot be written in format 1.0.");
        }

        var bytes = new byte[total];
        NpyFile.Magic.CopyTo(bytes);
        bytes[6] = 1;
        bytes[7] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)(length + padding));
        Encoding.Latin1.GetBytes(dict, bytes.AsSpan(10));
        bytes.AsSpan(10 + dict.Length, padding).Fill((byte)' ');
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    /// <summary>A recursive-descent parser of the Python literal subset a header uses.</summary>
    private sealed class Parser(string text)
    {
        /// <summary>Stands for a list value (a structured dtype's fields), which is recognised only to be refused by name.</summary>
        public static readonly object Structured = new();

        private int at;

        public Dictionary<string, object>? Dict(out string reason)
        {
            reason = "its header is not a Python dict literal";
            Space();
            if (!Take('{'))
            {
                return null;
            }

            var fields = new Dictionary<string, object>(StringComparer.Ordinal);
            while (true)
            {
                Space();
                if (Take('}'))
                {
                    break;
                }

                var key = QuotedString();
                Space();
                if (key is null || !Take(':'))
                {
                    return null;
                }

                Space();
                var value = Value();
                if (value is null)
                {
                    reason = $"its header's value for '{key}' is not a string, True/False or a tuple of non-negative integers";
                    return null;
                }

                if (!fields.TryAdd(key, value))
                {
                    reason = $"its header repeats the key '{key}'";
                    return null;
                }

                Space();
                if (Take(','))
                {
                    continue;
                }

                Space();
                if (!Take('}'))
                {
                    return null;
                }

                break;
            }

            Space();
            return at == text.Length ? fields : null;
        }

        private object? Value()
        {
            if (at < text.Length && text[at] is '\'' or '"')
            {
                return QuotedString();
            }

            if (Word("True"))
            {
                return true;
            }

            if (Word("False"))
            {
                return false;
            }

            if (at < text.Length && text[at] == '[')
            {
                return SkipList() ? Structured : null;
            }

            return Take('(') ? Tuple() : null;
        }

        private long[]? Tuple()
        {
            var items = new List<long>();
            var comma = false;
            while (true)
            {
                Space();
                if (Take(')'))
                {
                    // (3) is the integer 3 in Python, not a tuple: a one-element tuple needs its comma.
                    return items.Count == 1 && !comma ? null : items.ToArray();
                }

                var start = at;
                while (at < text.Length && char.IsAsciiDigit(text[at]))
                {
                    at++;
                }

                if (at == start || !long.TryParse(text.AsSpan(start, at - start), NumberStyles.None, CultureInfo.InvariantCulture, out var item))
                {
                    return null;
                }

                // Python 2 wrote long integers with an L suffix; NumPy still reads format 1.0/2.0 headers that have it.
                Take('L');
                items.Add(item);
                Space();
                comma = Take(',');
                if (!comma)
                {
                    Space();
                    if (!Take(')'))
                    {
                        return null;
                    }

                    return items.Count == 1 ? null : items.ToArray();
                }
            }
        }

        private string? QuotedString()
        {
            if (at >= text.Length || text[at] is not ('\'' or '"'))
            {
                return null;
            }

            var quote = text[at++];
            var end = text.IndexOf(quote, at);
            if (end < 0 || text.AsSpan(at, end - at).Contains('\\'))
            {
                return null;
            }

            var result = text[at..end];
            at = end + 1;
            return result;
        }

        private bool SkipList()
        {
            var depth = 0;
            for (; at < text.Length; at++)
            {
                depth += text[at] switch { '[' or '(' => 1, ']' or ')' => -1, _ => 0 };
                if (depth == 0)
                {
                    at++;
                    return true;
                }
            }

            return false;
        }

        private bool Word(string word)
        {
            if (string.CompareOrdinal(text, at, word, 0, word.Length) != 0)
            {
                return false;
            }

            at += word.Length;
            return true;
        }

        private bool Take(char c)
        {
            if (at < text.Length && text[at] == c)
            {
                at++;
                return true;
            }

            return false;
        }

        private void Space()
        {
            while (at < text.Length && text[at] is ' ' or '\t' or '\n' or '\r')
            {
                at++;
            }
        }
    }
}
