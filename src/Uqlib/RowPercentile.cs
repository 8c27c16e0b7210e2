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
        var (a, _) = values.kthvalue(low + 1, 1);
        if (fraction == 0)
        {
            return a.MoveToOuterDisposeScope();
        }

        // The next order statistic without a second selection: a itself where it repeats, else the smallest value above it.
        var atMost = values.le(a.unsqueeze(1));
        var above = values.masked_fill(atMost, double.PositiveInfinity).amin(new long[] { 1 });
        var b = torch.where(atMost.sum(1).ge(low + 2), a, above);
        var difference = b.sub(a);
        // As NumPy's _lerp: a + (b − a)·t, or b − (b − a)·(1 − t) for t ≥ ½, which is exact at t = 1.
        var result = fraction >= 0.5 ? b.sub(difference.mul_(1.0 - fraction)) : a.add(difference.mul_(fraction));
        return result.MoveToOuterDisposeScope();
    }
}
