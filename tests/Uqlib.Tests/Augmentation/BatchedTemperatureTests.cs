using System;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Augmentation;

public sealed class BatchedTemperatureTests
{
    private static readonly JsonElement Reference = Golden.Load("gps.json");

    [Fact]
    public void SyntheticCache_MatchesTheReferenceScript()
    {
        var (cache, labels) = SyntheticCache.Create();
        using (cache)
        using (labels)
        {
            cache.sum().ToDouble().Should().BeApproximately(Reference.GetProperty("cacheChecksum").GetDouble(), 1e-8);
            Golden.ToArray(labels.narrow(0, 0, 20)).Should().Equal(Golden.Vector(Reference.GetProperty("labelsHead")));
            var corner = Reference.GetProperty("cacheCorner");
            for (var k = 0; k < 3; k++)
            {
                for (var i = 0; i < 2; i++)
                {
                    Golden.ToArray(cache[k, i]).Should().BeEquivalentTo(Golden.Vector(corner[k][i]), o => o.WithStrictOrdering()
                        .Using<double>(c => c.Subject.Should().BeApproximately(c.Expectation, 1e-13)).WhenTypeIs<double>());
                }
            }
        }
    }

    [Fact]
    public void Fit_AllCandidatesAtOnce_MatchesSciPyBoundedBrent()
    {
        var (cache, labels) = SyntheticCache.Create();
        using (cache)
        using (labels)
        {
            var expectedBeta = Golden.Vector(Reference.GetProperty("temperature").GetProperty("beta"));
            var expectedNll = Golden.Vector(Reference.GetProperty("temperature").GetProperty("nll"));
            foreach (var chunk in new long[] { 1, 7 * 2000 * 5, 1L << 30 })
            {
                var (beta, nll) = BatchedTemperature.Fit(cache, labels, 0.01, 100, chunk);
                for (var k = 0; k < expectedBeta.Length; k++)
                {
                    beta[k].Should().BeApproximately(expectedBeta[k], 1e-8 * expectedBeta[k], $"candidate {k}, chunk {chunk}");
                    nll[k].Should().BeApproximately(expectedNll[k], 1e-12, $"candidate {k}");
                }
            }
        }
    }

    [Fact]
    public void Fit_Float32Cache_GivesTheFloat64FitOfTheSameValues()
    {
        var (cache, labels) = SyntheticCache.Create();
        using (cache)
        using (labels)
        using (var single = cache.to(ScalarType.Float32))
        using (var back = single.to(ScalarType.Float64))
        {
            var (fromSingle, _) = BatchedTemperature.Fit(single, labels, 0.01, 100, 1L << 20);
            var (fromDouble, _) = BatchedTemperature.Fit(back, labels, 0.01, 100, 1L << 20);
            fromSingle.Should().Equal(fromDouble);
        }
    }

    [Fact]
    public void Fit_OptimumOnABound_StopsAtTheBound()
    {
        var edge = Reference.GetProperty("edge");
        using var logp = Golden.MatrixTensor(edge.GetProperty("logProbabilities")).unsqueeze(0);
        using var separable = torch.tensor(Golden.Vector(edge.GetProperty("separableLabels")).Select(v => (long)v).ToArray());
        using var wrong = torch.tensor(Golden.Vector(edge.GetProperty("wrongLabels")).Select(v => (long)v).ToArray());

        BatchedTemperature.Fit(logp, separable, 0.01, 100, 1000).Beta[0].Should().Be(100);
        edge.GetProperty("separableBeta").GetDouble().Should().BeApproximately(100, 1e-6);
        BatchedTemperature.Fit(logp, wrong, 0.01, 100, 1000).Beta[0].Should().Be(0.01);
        edge.GetProperty("wrongBeta").GetDouble().Should().BeApproximately(0.01, 1e-6);
    }

    [Fact]
    public void Fit_AtTheOptimum_TheDerivativeVanishesAndNeighboursAreWorse()
    {
        var (cache, labels) = SyntheticCache.Create();
        using (cache)
        using (labels)
        {
            var (beta, nll) = BatchedTemperature.Fit(cache, labels, 0.01, 100, 1L << 20);
            using var scope = torch.NewDisposeScope();
            using var index = labels.view(1, -1, 1);
            var (shifted, atLabel) = BatchedTemperature.Shift(cache, index);
            foreach (var factor in new[] { 1 - 1e-6, 1 + 1e-6 })
            {
                var moved = torch.tensor(beta.Select(b => b * factor).ToArray());
                var (f, _, _) = BatchedTemperature.Evaluate(shifted, atLabel, moved);
                var values = Golden.ToArray(f);
                for (var k = 0; k < values.Length; k++)
                {
                    if (beta[k] <= 0.01 || beta[k] >= 100)
                    {
                        continue; // optimum on a bound: moving past it is outside the search interval
                    }

                    values[k].Should().BeGreaterThanOrEqualTo(nll[k] - 1e-15, $"candidate {k} at beta {beta[k]}");
                }
            }

            var (_, g, _) = BatchedTemperature.Evaluate(shifted, atLabel, torch.tensor(beta));
            var derivative = Golden.ToArray(g);
            for (var k = 0; k < derivative.Length; k++)
            {
                if (beta[k] > 0.01 && beta[k] < 100)
                {
                    Math.Abs(derivative[k]).Should().BeLessThan(1e-10, $"candidate {k}");
                }
            }
        }
    }

    [Fact]
    public void Fit_LeaksNoTensors()
    {
        var (cache, labels) = SyntheticCache.Create();
        using (cache)
        using (labels)
        {
            var before = LiveTensors.Count;
            BatchedTemperature.Fit(cache, labels, 0.01, 100, 3 * 2000 * 5);
            LiveTensors.Count.Should().Be(before);
        }
    }
}
