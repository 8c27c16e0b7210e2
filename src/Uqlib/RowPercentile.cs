using System;
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
}
