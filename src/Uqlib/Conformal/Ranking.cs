using System;
using System.Numerics;

namespace Uqlib.Conformal;

/// <summary>
/// The classes of one row of probabilities ranked by decreasing probability, ties by class index (the order of a stable descending
/// sort, as <c>numpy.argsort(-p, kind="stable")</c>), with scratch space reused from row to row. Not thread-safe.
/// </summary>
/// <remarks>
/// Each probability p ∈ [0, 1] is keyed by the bits of its float64 value complemented: for non-negative doubles the bit pattern increases
/// with the value, so an ascending sort of the keys is a descending sort of the probabilities, with no comparison of doubles. The sort
/// itself is not stable; runs of equal keys (equal probabilities) are then put in class order.
/// </remarks>
internal sealed class Ranking
{
    private readonly ulong[] keys;

    /// <summary>Initializes a new instance of the <see cref="Ranking"/> class for rows of <paramref name="classes"/> probabilities.</summary>
    public Ranking(int classes)
    {
        keys = new ulong[classes];
        Values = new double[classes];
        Order = new int[classes];
    }

    /// <summary>Gets the last row ranked, in float64, in class order.</summary>
    public double[] Values { get; }

    /// <summary>Gets the classes of the last row ranked, most probable first.</summary>
    public int[] Order { get; }

    /// <summary>
    /// Reads and ranks one row; false (and the ranking undefined) when a value is not in [0, 1] (NaN included) or the row's sum is
    /// more than <see cref="ProbabilityConversion.SumTolerance"/> from 1.
    /// </summary>
    public bool Rank<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = Values;
        var order = Order;
        var sum = 0.0;
        for (var c = 0; c < values.Length; c++)
        {
            var v = double.CreateTruncating(row[c]);
            if (!(v >= 0 && v <= 1))
            {
                return false;
            }

            sum += v;
            values[c] = v;
            // −0 and +0 are equal probabilities: one key.
            keys[c] = v == 0 ? ulong.MaxValue : ~BitConverter.DoubleToUInt64Bits(v);
            order[c] = c;
        }

        if (Math.Abs(sum - 1) > ProbabilityConversion.SumTolerance)
        {
            return false;
        }

        keys.AsSpan().Sort(order.AsSpan());
        for (var start = 0; start < keys.Length;)
        {
            var end = start + 1;
            while (end < keys.Length && keys[end] == keys[start])
            {
                end++;
            }

            if (end - start > 1)
            {
                order.AsSpan(start, end - start).Sort();
            }

            start = end;
        }

        return true;
    }
}
