using System;
using System.Linq;
using System.Numerics;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Augmentation;

public sealed class SpanKernelsTests
{
    [Fact]
    public void Exp_FromMinus708ToZero_WithinTwoUlpsOfMathExp()
    {
        // Every k·ln 2 boundary of the range reduction is crossed; the grid is dense near 0, where the terms of a row sit.
        var random = new Random(7);
        var points = Enumerable.Range(0, 200_000).Select(i => i < 100_000 ? -708.0 * random.NextDouble() : -random.NextDouble())
            .Concat(Enumerable.Range(0, 1022).Select(k => -k * Math.Log(2))).Append(0.0).Append(-1e-300).Append(-708.0).ToArray();
        MaxUlps(points, SpanKernels.Exp, Math.Exp).Should().BeLessThanOrEqualTo(2);
    }

    [Fact]
    public void Exp_BelowMinus708_HoldsTheValueAtMinus708()
    {
        var held = SpanKernels.Exp(new Vector<double>(-708.0))[0];
        SpanKernels.Exp(new Vector<double>(-5000.0))[0].Should().Be(held);
        held.Should().BeApproximately(Math.Exp(-708.0), 1e-322).And.BePositive();
    }

    [Fact]
    public void Log1p_OnZeroToOne_WithinTwoUlpsOfTheExactValue()
    {
        // The reference log(1 + u) in float64 rounds 1 + u first (an absolute error up to 2^-53); below 10^-4 the series
        // u − u²/2 + u³/3 − u⁴/4 is exact to rounding instead.
        var random = new Random(11);
        var large = Enumerable.Range(0, 100_000).Select(_ => 1e-4 + ((1 - 1e-4) * random.NextDouble())).Append(1.0).Append(Math.Sqrt(2) - 1).ToArray();
        var computed = Apply(large, SpanKernels.Log1p);
        for (var i = 0; i < large.Length; i++)
        {
            computed[i].Should().BeApproximately(Math.Log(1 + large[i]), (2 * Ulp(computed[i])) + Math.Pow(2, -53));
        }

        var small = Enumerable.Range(0, 10_000).Select(_ => Math.Pow(10, -4 - (300 * random.NextDouble()))).Append(0.0).ToArray();
        MaxUlps(small, SpanKernels.Log1p, u => u * (1 - (u * ((1.0 / 2) - (u * ((1.0 / 3) - (u / 4))))))).Should().BeLessThanOrEqualTo(2);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1997)]
    [InlineData(1999)]
    public void Search_SampleCountNotAWholeNumberOfBlocks_AgreesWithTheTensorPath(int samples)
    {
        // The span path holds samples in blocks of Vector<double>.Count lanes; the last block is padded and masked out of every sum.
        var (cache, labels) = SyntheticCache.Create();
        using (cache)
        using (labels)
        {
            using var index = torch.arange(samples);
            using var narrowCache = cache.index_select(1, index);
            using var narrowLabels = labels.index_select(0, index);
            foreach (var criterion in new[] { PolicySearchCriterion.CalibratedLogLikelihood, PolicySearchCriterion.LogLikelihood, PolicySearchCriterion.Accuracy })
            {
                var options = new GreedyPolicySearchOptions { Steps = 6, Criterion = criterion };
                var span = GreedyPolicySearch.Search(narrowCache, narrowLabels, options, null, CancellationToken.None, spanKernels: true);
                var tensor = GreedyPolicySearch.Search(narrowCache, narrowLabels, options, null, CancellationToken.None, spanKernels: false);
                span.SelectedCandidates.Should().Equal(tensor.SelectedCandidates);
                for (var i = 0; i < span.Steps.Count; i++)
                {
                    span.Steps[i].CalibratedLogLikelihood.Should().BeApproximately(tensor.Steps[i].CalibratedLogLikelihood, 1e-12);
                }
            }
        }
    }

    private static long MaxUlps(double[] points, Func<Vector<double>, Vector<double>> vectorised, Func<double, double> reference)
    {
        var computed = Apply(points, vectorised);
        return points.Select((x, i) => Math.Abs(BitConverter.DoubleToInt64Bits(computed[i]) - BitConverter.DoubleToInt64Bits(reference(x)))).Max();
    }

    private static double[] Apply(double[] points, Func<Vector<double>, Vector<double>> vectorised)
    {
        var lanes = Vector<double>.Count;
        var padded = new double[(points.Length + lanes - 1) / lanes * lanes];
        points.CopyTo(padded, 0);
        var result = new double[padded.Length];
        for (var i = 0; i < padded.Length; i += lanes)
        {
            vectorised(new Vector<double>(padded, i)).CopyTo(result, i);
        }

        return result[..points.Length];
    }

    private static double Ulp(double value) => Math.BitIncrement(Math.Abs(value)) - Math.Abs(value);
}
