using System;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Conformal;
using Uqlib.Segmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Conformal;

public sealed class LesionMissRateTests
{
    private static readonly JsonElement Reference = Golden.Load("lesion_risk_control.json");

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Threshold_TwoAndThreeDimensionalCases_MatchesReference(int index)
    {
        var data = Reference.GetProperty("cases")[index];
        using var maps = GoldenArrays.Tensor(data.GetProperty("maps"));
        using var masks = GoldenArrays.Tensor(data.GetProperty("masks")).to(ScalarType.Bool);
        var loss = new LesionMissRate((Connectivity)data.GetProperty("connectivity").GetInt32());
        var steps = Enumerable.Range(0, (int)maps.shape[0]).Select(i => loss.Steps(maps[i], masks[i])).ToArray();
        steps.Select(s => s.Jumps.Count).Should().Equal(data.GetProperty("lesions").EnumerateArray().Select(e => e.GetInt32()));
        var control = ConformalRiskControl.Fit(maps, masks, loss);
        control.LossName.Should().Be("LesionMissRate");
        foreach (var golden in data.GetProperty("alphas").EnumerateObject())
        {
            var alpha = double.Parse(golden.Name, CultureInfo.InvariantCulture);
            var threshold = control.Threshold(alpha);
            threshold.Should().Be(golden.Value.GetProperty("threshold").GetDouble(), $"α = {alpha}");
            (1 - threshold).Should().Be(golden.Value.GetProperty("lambdaHat").GetDouble());
            steps.Average(s => s.Evaluate(threshold)).Should().BeApproximately(golden.Value.GetProperty("calibrationRisk").GetDouble(), 1e-12);
        }
    }

    [Fact]
    public void Steps_DiagonalLesions_JumpAtEachLesionMaximumForTheConnectivity()
    {
        // Two true pixels touching at a corner (0.7, 0.2) and one apart (0.4): 4-connectivity sees three lesions, 8-connectivity two.
        using var map = torch.tensor(new[] { 0.7, 0.1, 0.9, 0.4, 0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 }).reshape(3, 4);
        using var mask = torch.tensor(new[] { true, false, false, true, false, true, false, false, false, false, false, false }).reshape(3, 4);
        var four = new LesionMissRate(Connectivity.Four).Steps(map, mask);
        four.Jumps.Should().BeEquivalentTo(new[] { 0.7, 0.2, 0.4 });
        four.Evaluate(0.2).Should().Be(0);
        four.Evaluate(0.5).Should().BeApproximately(2.0 / 3, 1e-15);
        four.Evaluate(0.71).Should().Be(1);
        var eight = new LesionMissRate(Connectivity.Eight).Steps(map, mask);
        eight.Jumps.Should().BeEquivalentTo(new[] { 0.7, 0.4 });
        eight.Evaluate(0.5).Should().Be(0.5, "the lesion {0.7, 0.2} is found by its 0.7 pixel while the lone 0.4 pixel is missed");
        using var none = torch.zeros(3, 4, ScalarType.Bool);
        new LesionMissRate(Connectivity.Eight).Steps(map, none).AtHighest.Should().Be(0);
    }

    [Fact]
    public void Steps_InvalidInputs_Throw()
    {
        using var map = torch.rand(2, 4, 4);
        using var mask = torch.zeros(2, 4, 4, ScalarType.Bool);
        using var wrongShape = torch.zeros(2, 4, 5, ScalarType.Bool);
        FluentActions.Invoking(() => new LesionMissRate(Connectivity.Eight).Steps(map, mask)).Should().Throw<ArgumentException>()
            .WithParameterName("map").WithMessage("*3-D*Eight*2-D maps*");
        FluentActions.Invoking(() => new LesionMissRate(Connectivity.Six).Steps(map, wrongShape)).Should().Throw<ArgumentException>().WithParameterName("mask");
        FluentActions.Invoking(() => new LesionMissRate((Connectivity)5)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("connectivity");
    }

    [Fact]
    public void Threshold_100SeededSplits_MeanLesionMissRateIsAtMostAlpha()
    {
        // Angelopoulos et al. 2022, theorem 1: E[L_{n+1}(t̂)] ≤ α; the loss on new images is computed from the rule directly.
        const int replicates = 100;
        const int n = 20;
        const double alpha = 0.2;
        var loss = new LesionMissRate(Connectivity.Four);
        var risks = new double[replicates];
        for (var r = 0; r < replicates; r++)
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new torch.Generator((ulong)(5000 + r));
            var truth = torch.rand(new long[] { 2 * n, 6, 6 }, ScalarType.Float64, generator: generator).lt(0.2);
            var signal = torch.rand(new long[] { 2 * n, 6, 6 }, ScalarType.Float64, generator: generator);
            var maps = torch.where(truth, signal.mul(0.6).add(0.3), signal.mul(0.6));
            var threshold = ConformalRiskControl.Fit(maps.narrow(0, 0, n), truth.narrow(0, 0, n), loss).Threshold(alpha);
            risks[r] = Enumerable.Range(n, n).Average(i => MissRate(maps[i], truth[i], threshold));
        }

        var mean = risks.Average();
        var sd = Math.Sqrt(risks.Select(v => (v - mean) * (v - mean)).Sum() / (replicates - 1) / replicates);
        mean.Should().BeLessThanOrEqualTo(alpha + (4 * sd));
        mean.Should().BeGreaterThanOrEqualTo(alpha - (2.0 / (n + 1)) - (4 * sd));
    }

    private static double MissRate(Tensor map, Tensor mask, double threshold)
    {
        var (labels, count) = ConnectedComponents.Label(mask, Connectivity.Four);
        using (labels)
        {
            var missed = Enumerable.Range(1, count).Count(k => !map.masked_select(labels.eq(k)).ge(threshold).any().ToBoolean());
            return count == 0 ? 0 : (double)missed / count;
        }
    }
}
