using System;
using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>The one percentile of tensor rows: NumPy's default linear interpolation, by one selection per row rather than a sort.</summary>
internal static class RowPercentile
{
    /// <summary>
    /// The q-th percentile of each row of <paramref name="values"/> <c>(R, P)</c>, as <c>numpy.percentile(..., axis=1, method="linear")</c>
    /// (Hyndman &amp; Fan 1996 type 7): with the row sorted, h = (P − 1)·q/100 and x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎).
    /// </summary>
    /// <param name="values">Finite values <c>(R, P)</c>, P ≥ 1; trusted.</param>
    /// <param name="percentile">q in [0, 100]; trusted.</param>
    /// <returns>The percentiles <c>(R)</c>, in the values' dtype.</returns>
    public static Tensor Of(Tensor values, double percentile)
    {
        using var scope = torch.NewDisposeScope();
        var count = values.shape[1];
        var position = (count - 1) * (percentile / 100.0);
        var low = Math.Min((long)Math.Floor(position), count - 1);
        var fraction = position - low;
        if (values.shape[0] == 1 && count >= ManagedSelectionMinimum && values.device_type == DeviceType.CPU)
        {
            if (values.dtype == ScalarType.Float32)
            {
                return OneRow<float>(values.reshape(-1).clone(), low, fraction).MoveToOuterDisposeScope();
            }

            if (values.dtype == ScalarType.Float64)
            {
                return OneRow<double>(values.reshape(-1).clone(), low, fraction).MoveToOuterDisposeScope();
            }
        }

        if (fraction == 0)
        {
            return values.kthvalue(low + 1, 1).values.MoveToOuterDisposeScope();
        }

        // x₍low₎ and x₍low+1₎ together by one selection of the smaller side of the row (the low + 2 smallest or the P − low largest, a
        // tenth of the row for ReAct's 90th percentile), then the two order statistics at its edge: no pass over the whole row beyond it.
        Tensor a;
        Tensor b;
        if (low + 2 <= count - low)
        {
            var smallest = values.topk((int)(low + 2), 1, largest: false, sorted: false).values;
            a = smallest.topk(2, 1, largest: true, sorted: false).values.amin(new long[] { 1 });
            b = smallest.amax(new long[] { 1 });
        }
        else
        {
            var largest = values.topk((int)(count - low), 1, largest: true, sorted: false).values;
            a = largest.amin(new long[] { 1 });
            b = largest.topk(2, 1, largest: false, sorted: false).values.amax(new long[] { 1 });
        }

        var difference = b.sub(a);
        // As NumPy's _lerp: a + (b − a)·t, or b − (b − a)·(1 − t) for t ≥ ½, which is exact at t = 1.
        var result = fraction >= 0.5 ? b.sub(difference.mul_(1.0 - fraction)) : a.add(difference.mul_(fraction));
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The row length from which one CPU row (ReAct's and DICE's pooled activations) is selected in a managed copy.</summary>
    /// <remarks>
    /// libtorch's <c>kthvalue</c> and <c>topk</c> select over (value, index) pairs, moving three to four times the row's bytes; NumPy's
    /// introselect, which <c>numpy.percentile</c> runs on a copy, moves the values only, and so does this, in place in a native copy.
    /// </remarks>
    private const long ManagedSelectionMinimum = 1L << 16;

    /// <summary>The percentile of one row, from <paramref name="row"/> (a contiguous CPU copy, reordered in place), as a one-element tensor of its dtype.</summary>
    private static Tensor OneRow<T>(Tensor row, long low, double fraction)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = MemoryMarshal.Cast<byte, T>(row.bytes);
        var k = checked((int)low);
        Select(data, k);
        var a = data[k];
        var result = a;
        if (fraction != 0)
        {
            // After the selection every value right of k is at least x₍k₎: x₍k+1₎ is their minimum.
            var b = data[k + 1];
            for (var i = k + 2; i < data.Length; i++)
            {
                b = T.Min(b, data[i]);
            }

            // As NumPy's _lerp, in the values' precision, as Of computes it on tensors.
            var difference = b - a;
            result = fraction >= 0.5 ? b - (difference * T.CreateTruncating(1.0 - fraction)) : a + (difference * T.CreateTruncating(fraction));
        }

        return torch.tensor(new[] { double.CreateTruncating(result) }, dtype: ScalarType.Float64).to(row.dtype);
    }

    /// <summary>Reorders <paramref name="data"/> so that <c>data[k]</c> is its k-th smallest value (0-based), no larger value left of it and no smaller one right of it: Hoare's selection with a median-of-three pivot.</summary>
    private static void Select<T>(Span<T> data, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var left = 0;
        var right = data.Length - 1;
        while (left < right)
        {
            var middle = left + ((right - left) >> 1);
            if (data[middle] < data[left])
            {
                (data[middle], data[left]) = (data[left], data[middle]);
            }

            if (data[right] < data[left])
            {
                (data[right], data[left]) = (data[left], data[right]);
            }

            if (data[right] < data[middle])
            {
                (data[right], data[middle]) = (data[middle], data[right]);
            }

            var pivot = data[middle];
            var i = left;
            var j = right;
            while (i <= j)
            {
                while (data[i] < pivot)
                {
                    i++;
                }

                while (pivot < data[j])
                {
                    j--;
                }

                if (i <= j)
                {
                    (data[i], data[j]) = (data[j], data[i]);
                    i++;
                    j--;
                }
            }

            if (k <= j)
            {
                right = j;
            }
            else if (k >= i)
            {
                left = i;
            }
            else
            {
                return;   // j < k < i: data[k] equals the pivot, in its place
            }
        }
    }
}
