using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Uqlib.Calibration;

namespace Uqlib.Augmentation;

/// <summary>
/// The CPU hot path of the greedy search, one candidate at a time on managed spans, in float64: the running mixture, the row shift and
/// the evaluations that drive <see cref="InverseTemperatureSearch"/>. Unchecked.
/// </summary>
/// <remarks>
/// A candidate's N × C values are held in row blocks: L = <see cref="Vector{T}.Count"/> consecutive samples form a block of C vectors
/// (one per class) of L samples each. Every operation then runs across samples, one per vector lane: the C values of a row are C
/// vertical operands (no shuffles, no horizontal sum per row, no dependency chain across a row's classes), and an evaluation reads the
/// buffer front to back (N·C·8 bytes, kept in cache across the Newton iterations of one candidate). Exponentials and logarithms are
/// vectorised and inlined (<see cref="Exp"/>, <see cref="Log1p"/>: no call, no spill of the accumulators per vector); lanes past the
/// last sample hold zeros and are masked out of every sum.
/// </remarks>
internal static class SpanKernels
{
    private const double Log2E = 1.4426950408889634;
    private const double Ln2High = 0.6931471803691238;
    private const double Ln2Low = 1.9082149292705877e-10;
    private const double Ln2 = 0.6931471805599453;
    private const double Sqrt2Minus1 = 0.41421356237309503;

    /// <summary>1.5 · 2⁵²: adding it rounds a double of magnitude below 2⁵¹ to an integer held in the low mantissa bits.</summary>
    private const double RoundingShift = 6755399441055744.0;

    /// <summary>Gets the samples per block: the lanes of a <see cref="Vector{T}"/> of float64.</summary>
    public static int Lanes => Vector<double>.Count;

    /// <summary>The number of row blocks that hold <paramref name="samples"/> samples.</summary>
    public static int Blocks(int samples) => (samples + Lanes - 1) / Lanes;

    /// <summary>Copies row-major (N × C) values into row blocks (see the remarks), as float64 plus <paramref name="offset"/>; padding lanes get 0.</summary>
    public static void ToBlocks<T>(ReadOnlySpan<T> rows, int classes, double offset, Span<double> blocks)
        where T : unmanaged, INumberBase<T>
    {
        var lanes = Lanes;
        var samples = rows.Length / classes;
        var full = samples / lanes;
        var tail = blocks.Slice(full * classes * lanes);
        tail.Clear();
        ref var source = ref MemoryMarshal.GetReference(rows);
        ref var target = ref MemoryMarshal.GetReference(blocks);
        var written = 0;
        for (var block = 0; block < full; block++)
        {
            var first = block * lanes * classes;
            for (var c = 0; c < classes; c++)
            {
                for (var lane = 0; lane < lanes; lane++)
                {
                    Unsafe.Add(ref target, written++) = double.CreateTruncating(Unsafe.Add(ref source, first + (lane * classes) + c)) + offset;
                }
            }
        }

        for (var i = full * lanes; i < samples; i++)
        {
            for (var c = 0; c < classes; c++)
            {
                tail[(c * lanes) + i - (full * lanes)] = double.CreateTruncating(rows[(i * classes) + c]) + offset;
            }
        }
    }

    /// <summary>
    /// In place over row blocks: with <paramref name="weighted"/> (the policy's log((t−1)·π_P) in row blocks) not empty, the mixture
    /// log((t−1)·π_P + π_s) (its −log t left out: the shift cancels it); then each row shifted by its maximum. Collects each row's
    /// maximum and its shifted value at the label (both padded to whole blocks).
    /// </summary>
    public static void MixAndShift(Span<double> blocks, ReadOnlySpan<double> weighted, int classes, ReadOnlySpan<int> labels,
        Span<double> atLabel, Span<double> rowMaximum)
    {
        var values = MemoryMarshal.Cast<double, Vector<double>>(blocks);
        var policy = MemoryMarshal.Cast<double, Vector<double>>(weighted);
        var maxima = MemoryMarshal.Cast<double, Vector<double>>(rowMaximum);
        for (var b = 0; b < maxima.Length; b++)
        {
            var row = values.Slice(b * classes, classes);
            var max = new Vector<double>(double.NegativeInfinity);
            if (policy.IsEmpty)
            {
                for (var c = 0; c < row.Length; c++)
                {
                    max = Vector.Max(max, row[c]);
                }
            }
            else
            {
                var from = policy.Slice(b * classes, classes);
                for (var c = 0; c < row.Length; c++)
                {
                    var high = Vector.Max(from[c], row[c]);
                    var low = Vector.Min(from[c], row[c]);
                    var mixed = high + Log1p(Exp(low - high));
                    row[c] = mixed;
                    max = Vector.Max(max, mixed);
                }
            }

            for (var c = 0; c < row.Length; c++)
            {
                row[c] -= max;
            }

            maxima[b] = max;
        }

        var lanes = Lanes;
        for (var i = 0; i < labels.Length; i++)
        {
            var block = i / lanes;
            atLabel[i] = blocks[(((block * classes) + labels[i]) * lanes) + (i - (block * lanes))];
        }
    }

    /// <summary>Fits β for one candidate's shifted row blocks by <see cref="InverseTemperatureSearch"/>; returns β and f(β) at exactly that β.</summary>
    public static (double Beta, double Nll) Fit(ReadOnlySpan<double> blocks, ReadOnlySpan<double> atLabel, int classes, int samples,
        double start, double minBeta, double maxBeta)
    {
        var search = new InverseTemperatureSearch(start, minBeta, maxBeta);
        while (!search.Done)
        {
            var (f, g, h) = Evaluate(blocks, atLabel, classes, samples, search.Beta);
            search.Update(f, g, h);
        }

        return (search.Beta, search.Nll);
    }

    /// <summary>The mean log-likelihood of the labels under the unshifted mixture, less <paramref name="logT"/>: mean of (row maximum + shifted value at the label) − log t.</summary>
    public static double LogLikelihood(ReadOnlySpan<double> atLabel, ReadOnlySpan<double> rowMaximum, int samples, double logT)
    {
        var sum = 0.0;
        for (var i = 0; i < samples; i++)
        {
            sum += rowMaximum[i] + atLabel[i];
        }

        return (sum / samples) - logT;
    }

    /// <summary>The fraction of rows whose first maximal class (shifted value 0) is the label.</summary>
    public static double Accuracy(ReadOnlySpan<double> blocks, int classes, ReadOnlySpan<int> labels)
    {
        var lanes = Lanes;
        var correct = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var block = i / lanes;
            var row = blocks.Slice((block * classes * lanes) + (i - (block * lanes)));
            var best = 0;
            while (row[best * lanes] != 0)
            {
                best++;
            }

            correct += best == labels[i] ? 1 : 0;
        }

        return (double)correct / labels.Length;
    }

    /// <summary>result = log(exp(weighted) + exp(candidate)) − logT, elementwise (the mixture log(((t−1)·π_P + π_s)/t)), row-major.</summary>
    public static void Mixture(ReadOnlySpan<double> weighted, ReadOnlySpan<double> candidate, double logT, Span<double> result)
    {
        var w = MemoryMarshal.Cast<double, Vector<double>>(weighted);
        var m = MemoryMarshal.Cast<double, Vector<double>>(candidate);
        var r = MemoryMarshal.Cast<double, Vector<double>>(result);
        var shift = new Vector<double>(logT);
        for (var v = 0; v < r.Length; v++)
        {
            var high = Vector.Max(w[v], m[v]);
            var low = Vector.Min(w[v], m[v]);
            r[v] = high + Vector.Log(Vector<double>.One + Vector.Exp(low - high)) - shift;
        }

        for (var i = r.Length * Vector<double>.Count; i < result.Length; i++)
        {
            var high = Math.Max(weighted[i], candidate[i]);
            var low = Math.Min(weighted[i], candidate[i]);
            result[i] = high + Math.Log(1 + Math.Exp(low - high)) - logT;
        }
    }

    /// <summary>f(β), f′(β), f″(β) for one candidate: the mean over rows of log Σ e, E[d] − d_y and Var[d] under softmax(β·d).</summary>
    private static (double F, double G, double H) Evaluate(ReadOnlySpan<double> blocks, ReadOnlySpan<double> atLabel, int classes, int samples,
        double beta)
    {
        var values = MemoryMarshal.Cast<double, Vector<double>>(blocks);
        var labelValues = MemoryMarshal.Cast<double, Vector<double>>(atLabel);
        var b = new Vector<double>(beta);
        var f = Vector<double>.Zero;
        var g = Vector<double>.Zero;
        var h = Vector<double>.Zero;
        var full = samples / Lanes;
        for (var block = 0; block < full; block++)
        {
            var (rowF, rowG, rowH) = Rows(values.Slice(block * classes, classes), labelValues[block], b);
            f += rowF;
            g += rowG;
            h += rowH;
        }

        if (full < labelValues.Length)
        {
            var (rowF, rowG, rowH) = Rows(values.Slice(full * classes, classes), labelValues[full], b);
            var inside = Vector.AsVectorDouble(Vector.LessThan(Vector<long>.Indices, new Vector<long>(samples - (full * Lanes))));
            f += Vector.ConditionalSelect(inside, rowF, Vector<double>.Zero);
            g += Vector.ConditionalSelect(inside, rowG, Vector<double>.Zero);
            h += Vector.ConditionalSelect(inside, rowH, Vector<double>.Zero);
        }

        return (Vector.Sum(f) / samples, Vector.Sum(g) / samples, Vector.Sum(h) / samples);
    }

    /// <summary>One block's rows: log Σ_c e − β·d_y, E[d] − d_y and Var[d] (clamped at 0) under e = exp(β·d), one row per lane.</summary>
    private static (Vector<double> F, Vector<double> G, Vector<double> H) Rows(ReadOnlySpan<Vector<double>> row, Vector<double> atLabel,
        Vector<double> beta)
    {
        var s0 = Vector<double>.Zero;
        var s1 = Vector<double>.Zero;
        var s2 = Vector<double>.Zero;
        for (var c = 0; c < row.Length; c++)
        {
            var d = row[c];
            var e = Exp(d * beta);
            var ed = e * d;
            s0 += e;
            s1 += ed;
            s2 += ed * d;
        }

        var inverse = Vector<double>.One / s0;
        var mean = s1 * inverse;
        return (Vector.Log(s0) - (beta * atLabel), mean - atLabel, Vector.Max((s2 * inverse) - (mean * mean), Vector<double>.Zero));
    }

    /// <summary>
    /// e^x for x ≤ 0, within 2 ulps of <see cref="Math.Exp(double)"/> down to x = −708, where the result is held (about 3·10⁻³⁰⁸ instead of a
    /// subnormal or 0: nothing next to the row's largest term, which is 1).
    /// </summary>
    /// <remarks>
    /// x = k·ln 2 + r with k = round(x / ln 2) (by the 1.5·2⁵² shift) and |r| ≤ ln 2 / 2 (ln 2 in two parts, Cody and Waite 1980); e^r by
    /// its Taylor polynomial of degree 13 (truncation below 10⁻¹⁷ relative), evaluated by Estrin's scheme; 2^k written into the exponent.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<double> Exp(Vector<double> x)
    {
        x = Vector.Max(x, new Vector<double>(-708.0));
        var shift = new Vector<double>(RoundingShift);
        var shifted = Vector.FusedMultiplyAdd(x, new Vector<double>(Log2E), shift);
        var k = shifted - shift;
        var r = Vector.FusedMultiplyAdd(k, new Vector<double>(-Ln2High), x);
        r = Vector.FusedMultiplyAdd(k, new Vector<double>(-Ln2Low), r);
        var r2 = r * r;
        var r4 = r2 * r2;
        var p01 = r + Vector<double>.One;
        var p23 = Vector.FusedMultiplyAdd(r, new Vector<double>(1.0 / 6), new Vector<double>(1.0 / 2));
        var p45 = Vector.FusedMultiplyAdd(r, new Vector<double>(1.0 / 120), new Vector<double>(1.0 / 24));
        var p67 = Vector.FusedMultiplyAdd(r, new Vector<double>(1.0 / 5040), new Vector<double>(1.0 / 720));
        var p89 = Vector.FusedMultiplyAdd(r, new Vector<double>(1.0 / 362880), new Vector<double>(1.0 / 40320));
        var p1011 = Vector.FusedMultiplyAdd(r, new Vector<double>(1.0 / 39916800), new Vector<double>(1.0 / 3628800));
        var p1213 = Vector.FusedMultiplyAdd(r, new Vector<double>(1.0 / 6227020800), new Vector<double>(1.0 / 479001600));
        var low = Vector.FusedMultiplyAdd(Vector.FusedMultiplyAdd(p67, r2, p45), r4, Vector.FusedMultiplyAdd(p23, r2, p01));
        var high = Vector.FusedMultiplyAdd(p1213, r4, Vector.FusedMultiplyAdd(p1011, r2, p89));
        var polynomial = Vector.FusedMultiplyAdd(high, r4 * r4, low);
        var scale = Vector.AsVectorDouble(Vector.ShiftLeft(Vector.AsVectorInt64(shifted) + new Vector<long>(1023), 52));
        return polynomial * scale;
    }

    /// <summary>log(1 + u) for u in [0, 1], within 2 ulps of <see cref="Math.Log(double)"/> of 1 + u (closer for small u: 1 + u is never formed).</summary>
    /// <remarks>
    /// log(1 + u) = 2·atanh(s) with s = u / (2 + u) for u ≤ √2 − 1, and ln 2 + 2·atanh(s) with s = (u − 1) / (u + 3) (that is, of (1 + u)/2)
    /// above: |s| ≤ 0.172, and the series 2·Σ s^(2j+1)/(2j+1) to j = 10 truncates below 10⁻¹⁷ relative.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<double> Log1p(Vector<double> u)
    {
        var upper = Vector.GreaterThan(u, new Vector<double>(Sqrt2Minus1));
        var two = new Vector<double>(2.0);
        var numerator = Vector.ConditionalSelect(upper, u - Vector<double>.One, u);
        var denominator = Vector.ConditionalSelect(upper, u + new Vector<double>(3.0), u + two);
        var s = numerator / denominator;
        var z = s * s;
        var series = new Vector<double>(1.0 / 21);
        series = Vector.FusedMultiplyAdd(series, z, new Vector<double>(1.0 / 19));
        series = Vector.FusedMultiplyAdd(series, z, new Vector<double>(1.0 / 17));
        series = Vector.FusedMultiplyAdd(series, z, new Vector<double>(1.0 / 15));
        series = Vector.FusedMultiplyAdd(series, z, new Vector<double>(1.0 / 13));
        series = Vector.FusedMultiplyAdd(series, z, new Vector<double>(1.0 / 11));
        series = Vector.FusedMultiplyAdd(series, z, new Vector<double>(1.0 / 9));
        series = Vector.FusedMultiplyAdd(series, z, new Vector<double>(1.0 / 7));
        series = Vector.FusedMultiplyAdd(series, z, new Vector<double>(1.0 / 5));
        series = Vector.FusedMultiplyAdd(series, z, new Vector<double>(1.0 / 3));
        var twoS = s * two;
        var atanh = Vector.FusedMultiplyAdd(twoS * z, series, twoS);
        return atanh + Vector.ConditionalSelect(upper, new Vector<double>(Ln2), Vector<double>.Zero);
    }
}
