using System;
using System.Numerics;
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
/// vectorised; lanes past the last sample hold zeros and are masked out of every sum.
/// </remarks>
internal static class SpanKernels
{
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
        blocks.Slice(full * classes * lanes).Clear();
        for (var i = 0; i < samples; i++)
        {
            var block = i / lanes;
            var target = blocks.Slice((block * classes * lanes) + (i - (block * lanes)));
            var source = rows.Slice(i * classes, classes);
            for (var c = 0; c < source.Length; c++)
            {
                target[c * lanes] = double.CreateTruncating(source[c]) + offset;
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
                    var mixed = high + Vector.Log(Vector<double>.One + Vector.Exp(low - high));
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
            var e = Vector.Exp(d * beta);
            var ed = e * d;
            s0 += e;
            s1 += ed;
            s2 += ed * d;
        }

        var inverse = Vector<double>.One / s0;
        var mean = s1 * inverse;
        return (Vector.Log(s0) - (beta * atLabel), mean - atLabel, Vector.Max((s2 * inverse) - (mean * mean), Vector<double>.Zero));
    }
}
