using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Uqlib.Calibration;

namespace Uqlib.Augmentation;

/// <summary>
/// The CPU hot path of the greedy search, one candidate at a time on managed spans (the candidate's N·C values stay in cache across the
/// Newton iterations): the running mixture, the row shift and the evaluations that drive <see cref="InverseTemperatureSearch"/>. Exponentials and logarithms are vectorised (<see cref="Vector256"/>). Unchecked.
/// </summary>
internal static class SpanKernels
{
    /// <summary>result = log(exp(weighted) + exp(candidate)) − logT, elementwise (the mixture log(((t−1)·π_P + π_s)/t)).</summary>
    public static void Mixture(ReadOnlySpan<double> weighted, ReadOnlySpan<double> candidate, double logT, Span<double> result)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var w = MemoryMarshal.Cast<double, Vector256<double>>(weighted);
            var m = MemoryMarshal.Cast<double, Vector256<double>>(candidate);
            var r = MemoryMarshal.Cast<double, Vector256<double>>(result);
            var shift = Vector256.Create(logT);
            for (var v = 0; v < r.Length; v++)
            {
                var high = Vector256.Max(w[v], m[v]);
                var low = Vector256.Min(w[v], m[v]);
                r[v] = high + Vector256.Log(Vector256<double>.One + Vector256.Exp(low - high)) - shift;
            }

            i = r.Length * Vector256<double>.Count;
        }

        for (; i < result.Length; i++)
        {
            var high = Math.Max(weighted[i], candidate[i]);
            var low = Math.Min(weighted[i], candidate[i]);
            result[i] = high + Math.Log(1 + Math.Exp(low - high)) - logT;
        }
    }

    /// <summary>Shifts each row of C values by its maximum, in place, and collects the shifted value at each row's label.</summary>
    public static void Shift(Span<double> values, int classes, ReadOnlySpan<long> labels, Span<double> atLabel)
    {
        for (var i = 0; i < labels.Length; i++)
        {
            var row = values.Slice(i * classes, classes);
            var max = row[0];
            for (var c = 1; c < row.Length; c++)
            {
                max = Math.Max(max, row[c]);
            }

            for (var c = 0; c < row.Length; c++)
            {
                row[c] -= max;
            }

            atLabel[i] = row[(int)labels[i]];
        }
    }

    /// <summary>Fits β for one candidate's shifted rows by <see cref="InverseTemperatureSearch"/>; returns β and f(β) at exactly that β.</summary>
    public static (double Beta, double Nll) Fit(ReadOnlySpan<double> shifted, ReadOnlySpan<double> atLabel, int classes, double start,
        double minBeta, double maxBeta, Span<double> scratch)
    {
        var search = new InverseTemperatureSearch(start, minBeta, maxBeta);
        while (!search.Done)
        {
            var (f, g, h) = Evaluate(shifted, atLabel, classes, search.Beta, scratch);
            search.Update(f, g, h);
        }

        return (search.Beta, search.Nll);
    }

    /// <summary>f(β), f′(β), f″(β) for one candidate: the mean over rows of log Σ e, E[d] − d_y and Var[d] under softmax(β·d).</summary>
    private static (double F, double G, double H) Evaluate(ReadOnlySpan<double> shifted, ReadOnlySpan<double> atLabel, int classes, double beta,
        Span<double> exponentials)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var d = MemoryMarshal.Cast<double, Vector256<double>>(shifted);
            var e = MemoryMarshal.Cast<double, Vector256<double>>(exponentials);
            var b = Vector256.Create(beta);
            for (var v = 0; v < d.Length; v++)
            {
                e[v] = Vector256.Exp(d[v] * b);
            }

            i = d.Length * Vector256<double>.Count;
        }

        for (; i < shifted.Length; i++)
        {
            exponentials[i] = Math.Exp(shifted[i] * beta);
        }

        double f = 0, g = 0, h = 0;
        for (var row = 0; row < atLabel.Length; row++)
        {
            double s0 = 0, s1 = 0, s2 = 0;
            var offset = row * classes;
            for (var c = 0; c < classes; c++)
            {
                var e = exponentials[offset + c];
                var d = shifted[offset + c];
                var ed = e * d;
                s0 += e;
                s1 += ed;
                s2 += ed * d;
            }

            var mean = s1 / s0;
            f += Math.Log(s0) - (beta * atLabel[row]);
            g += mean - atLabel[row];
            h += Math.Max((s2 / s0) - (mean * mean), 0);
        }

        var n = atLabel.Length;
        return (f / n, g / n, h / n);
    }
}
