using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Uqlib.Augmentation;

/// <summary>
/// The CPU hot path of the greedy search, one candidate at a time on managed spans (the candidate's N·C values stay in cache across the
/// Newton iterations): the running mixture, the row shift and the safeguarded Newton fit of β = 1/T, with the same rules as
/// <see cref="BatchedTemperature.FitShifted"/>. Exponentials and logarithms are vectorised (<see cref="Vector256"/>). Unchecked.
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

    /// <summary>The safeguarded Newton fit of β for one candidate's shifted rows; returns β and f(β) evaluated at exactly that β.</summary>
    public static (double Beta, double Nll) Fit(ReadOnlySpan<double> shifted, ReadOnlySpan<double> atLabel, int classes, double start,
        double minBeta, double maxBeta, Span<double> scratch)
    {
        var beta = Math.Clamp(start, minBeta, maxBeta);
        var lo = minBeta;
        var hi = maxBeta;
        var f = 0.0;
        var evaluated = beta;
        for (var iteration = 0; iteration < BatchedTemperature.MaxIterations; iteration++)
        {
            evaluated = beta;
            (f, var g, var h) = Evaluate(shifted, atLabel, classes, beta, scratch);
            if (g < 0)
            {
                lo = Math.Max(lo, beta);
            }
            else if (g > 0)
            {
                hi = Math.Min(hi, beta);
            }

            var newton = beta - (g / h);
            var inside = newton > lo && newton < hi && double.IsFinite(newton);
            var scale = Math.Max(Math.Abs(beta), minBeta);
            if (inside && Math.Abs(newton - beta) <= scale * BatchedTemperature.NewtonAcceptance)
            {
                // Quadratic convergence: after this step β is exact to about Δ² (relative); f there is f + g·Δ/2 up to O(Δ³).
                return (newton, f + (0.5 * g * (newton - beta)));
            }

            var next = inside ? newton : 0.5 * (lo + hi);
            if (g < 0 && newton >= maxBeta && hi >= maxBeta)
            {
                next = maxBeta;
            }
            else if (g > 0 && newton <= minBeta && lo <= minBeta)
            {
                next = minBeta;
            }

            var converged = g == 0
                || Math.Abs(next - beta) <= scale * BatchedTemperature.RelativeTolerance
                || hi - lo <= hi * BatchedTemperature.RelativeTolerance
                || (beta >= maxBeta && g <= 0)
                || (beta <= minBeta && g >= 0);
            if (converged)
            {
                break;
            }

            beta = next;
        }

        return (evaluated, f);
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
