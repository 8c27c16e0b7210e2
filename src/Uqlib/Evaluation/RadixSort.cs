using System;
using System.Runtime.InteropServices;

namespace Uqlib.Evaluation;

/// <summary>An LSD radix sort of doubles by their IEEE-754 bit patterns (11-bit digits, constant digits skipped): O(N), no comparisons.</summary>
internal static class RadixSort
{
    private const int SmallArray = 2048;
    private const int Bits = 11;
    private const int Digits = 6;
    private const int Buckets = 1 << Bits;
    private const ulong Mask = Buckets - 1;

    /// <summary>Sorts finite values ascending in place; −0 is first turned into +0 so that equal values have equal keys.</summary>
    public static void Ascending(double[] values)
    {
        var n = values.Length;
        if (n <= SmallArray)
        {
            for (var i = 0; i < n; i++)
            {
                values[i] += 0.0;
            }

            Array.Sort(values);
            return;
        }

        // The keys are written over the values (same 8 bytes each), so only one n-element buffer is needed beside them.
        var keys = MemoryMarshal.Cast<double, ulong>(values.AsSpan());
        // A fresh buffer, not a pooled one: the shared pool would keep up to 8 bytes per score alive for the life of the process.
        var buffer = GC.AllocateUninitializedArray<ulong>(n);
        var counts = new int[Digits * Buckets];
        for (var i = 0; i < n; i++)
        {
            var key = ToKey(values[i] + 0.0);
            keys[i] = key;
            counts[(int)(key & Mask)]++;
            counts[Buckets + (int)((key >> Bits) & Mask)]++;
            counts[(2 * Buckets) + (int)((key >> (2 * Bits)) & Mask)]++;
            counts[(3 * Buckets) + (int)((key >> (3 * Bits)) & Mask)]++;
            counts[(4 * Buckets) + (int)((key >> (4 * Bits)) & Mask)]++;
            counts[(5 * Buckets) + (int)(key >> (5 * Bits))]++;
        }

        var source = keys;
        var target = buffer.AsSpan();
        for (var digit = 0; digit < Digits; digit++)
        {
            var histogram = counts.AsSpan(digit * Buckets, Buckets);
            var shift = Bits * digit;
            if (histogram[(int)((source[0] >> shift) & Mask)] == n)
            {
                continue;
            }

            var offset = 0;
            for (var b = 0; b < Buckets; b++)
            {
                var count = histogram[b];
                histogram[b] = offset;
                offset += count;
            }

            for (var i = 0; i < n; i++)
            {
                var key = source[i];
                target[histogram[(int)((key >> shift) & Mask)]++] = key;
            }

            var swapped = source;
            source = target;
            target = swapped;
        }

        if (!source.Overlaps(keys))
        {
            source.CopyTo(keys);
        }

        for (var i = 0; i < n; i++)
        {
            values[i] = FromKey(keys[i]);
        }
    }

    private static ulong ToKey(double value)
    {
        var bits = BitConverter.DoubleToUInt64Bits(value);
        return (bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits | 0x8000_0000_0000_0000UL;
    }

    private static double FromKey(ulong key)
    {
        var bits = (key & 0x8000_0000_0000_0000UL) != 0 ? key & 0x7FFF_FFFF_FFFF_FFFFUL : ~key;
        return BitConverter.UInt64BitsToDouble(bits);
    }
}
