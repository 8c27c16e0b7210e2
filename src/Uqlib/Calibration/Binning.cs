using System;

namespace Uqlib.Calibration;

/// <summary>Per-bin totals of confidence and correctness: the core shared by the calibration metrics and the reliability diagram.</summary>
internal sealed class Binning
{
    private Binning(int bins, long total)
    {
        Counts = new long[bins];
        SumConfidence = new double[bins];
        SumCorrect = new double[bins];
        Lower = new double[bins];
        Upper = new double[bins];
        Total = total;
    }

    public long[] Counts { get; }

    public double[] SumConfidence { get; }

    public double[] SumCorrect { get; }

    public double[] Lower { get; }

    public double[] Upper { get; }

    public long Total { get; }

    /// <summary>The equal-width bin of a value in [0, 1]: (b/B, (b + 1)/B] holds b, and 0 goes to bin 0.</summary>
    public static int EqualWidthBin(double value, int bins)
    {
        var b = (int)Math.Ceiling(value * bins) - 1;
        return b < 0 ? 0 : b >= bins ? bins - 1 : b;
    }

    public static Binning Compute(ReadOnlySpan<double> confidence, ReadOnlySpan<double> correct, int bins, BinningScheme scheme)
    {
        return scheme == BinningScheme.EqualWidth ? EqualWidth(confidence, correct, bins) : EqualMass(confidence, correct, bins);
    }

    public static Binning EqualWidth(ReadOnlySpan<double> confidence, ReadOnlySpan<double> correct, int bins)
    {
        var result = new Binning(bins, confidence.Length);
        for (var i = 0; i < confidence.Length; i++)
        {
            var b = EqualWidthBin(confidence[i], bins);
            result.Counts[b]++;
            result.SumConfidence[b] += confidence[i];
            result.SumCorrect[b] += correct[i];
        }

        for (var b = 0; b < bins; b++)
        {
            result.Lower[b] = (double)b / bins;
            result.Upper[b] = (double)(b + 1) / bins;
        }

        return result;
    }

    public static Binning EqualMass(ReadOnlySpan<double> confidence, ReadOnlySpan<double> correct, int bins)
    {
        var n = confidence.Length;
        var keys = confidence.ToArray();
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(keys, order);
        // Array.Sort is unstable: restore input order within runs of equal confidence so that ties split deterministically.
        for (var start = 0; start < n;)
        {
            var end = start + 1;
            while (end < n && keys[end] == keys[start])
            {
                end++;
            }

            if (end - start > 1)
            {
                Array.Sort(order, start, end - start);
            }

            start = end;
        }

        var result = new Binning(bins, n);
        var quotient = n / bins;
        var remainder = n % bins;
        var position = 0;
        for (var b = 0; b < bins; b++)
        {
            var size = quotient + (b < remainder ? 1 : 0);
            for (var k = 0; k < size; k++)
            {
                var i = order[position + k];
                result.SumConfidence[b] += confidence[i];
                result.SumCorrect[b] += correct[i];
            }

            result.Counts[b] = size;
            result.Lower[b] = size > 0 ? keys[position] : (position > 0 ? keys[position - 1] : 0.0);
            result.Upper[b] = size > 0 ? keys[position + size - 1] : result.Lower[b];
            position += size;
        }

        return result;
    }

    /// <summary>Σ over bins of (n_b / N)·|mean confidence − accuracy| = Σ |ΣConfidence − ΣCorrect| / N.</summary>
    public double Ece()
    {
        var sum = 0.0;
        for (var b = 0; b < Counts.Length; b++)
        {
            sum += Math.Abs(SumConfidence[b] - SumCorrect[b]);
        }

        return sum / Total;
    }

    /// <summary>The largest |mean confidence − accuracy| over non-empty bins.</summary>
    public double Mce()
    {
        var max = 0.0;
        for (var b = 0; b < Counts.Length; b++)
        {
            if (Counts[b] > 0)
            {
                max = Math.Max(max, Math.Abs((SumConfidence[b] / Counts[b]) - (SumCorrect[b] / Counts[b])));
            }
        }

        return max;
    }
}
