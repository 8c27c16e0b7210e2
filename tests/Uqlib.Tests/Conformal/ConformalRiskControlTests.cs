using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Conformal;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Conformal;

public sealed class ConformalRiskControlTests : IDisposable
{
    private static readonly JsonElement Reference = Golden.Load("conformal.json");

    private readonly string directory = Directory.CreateTempSubdirectory("uqlib-risk-control-").FullName;

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Threshold_TwoAndThreeDimensionalMaps_MatchesReference(int index)
    {
        var data = Reference.GetProperty("riskControl")[index];
        using var maps = GoldenArrays.Tensor(data.GetProperty("maps"));
        using var masks = GoldenArrays.Tensor(data.GetProperty("masks")).to(ScalarType.Bool);
        var control = ConformalRiskControl.Fit(maps, masks);
        foreach (var golden in data.GetProperty("alphas").EnumerateObject())
        {
            var alpha = double.Parse(golden.Name, System.Globalization.CultureInfo.InvariantCulture);
            var threshold = control.Threshold(alpha);
            threshold.Should().Be(golden.Value.GetProperty("threshold").GetDouble(), $"α = {alpha}");
            (1 - threshold).Should().Be(golden.Value.GetProperty("lambdaHat").GetDouble());
            MeanFnr(maps, masks, threshold).Should().BeApproximately(golden.Value.GetProperty("calibrationRisk").GetDouble(), 1e-12);
        }
    }

    [Fact]
    public void Threshold_HandComputedCase_IsTheLargestJumpMeetingTheCondition()
    {
        // Two images of 4 pixels, one true pixel each at 0.9 and 0.6; n = 2, B = 1: the condition (Σ L + 1)/3 ≤ α.
        // α = 0.5: Σ L ≤ 0.5 allows no miss → t̂ = 0.6 (both kept); α = 0.7: Σ L ≤ 1.1 allows one miss → t̂ = 0.9.
        using var maps = torch.tensor(new[] { 0.9, 0.1, 0.2, 0.3, 0.6, 0.8, 0.1, 0.0 }).reshape(2, 2, 2);
        using var masks = torch.tensor(new[] { true, false, false, false, true, false, false, false }).reshape(2, 2, 2);
        var control = ConformalRiskControl.Fit(maps, masks);
        control.Threshold(0.5).Should().Be(0.6);
        control.Threshold(0.7).Should().Be(0.9);
        using var predicted = control.Predict(maps, 0.7);
        Golden.ToArray(predicted).Should().Equal(1, 0, 0, 0, 0, 0, 0, 0);
        FluentActions.Invoking(() => control.Threshold(0.3)).Should().Throw<ArgumentOutOfRangeException>()
            .WithParameterName("alpha").WithMessage("*below (Σ L_i(−∞) + B)/(n + 1) = 0.333333*");
        FluentActions.Invoking(() => control.Threshold(1.0)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*(0, B = 1)*");
    }

    [Fact]
    public void Threshold_ConditionHoldingAboveEveryJump_IsInfinity()
    {
        var losses = new[] { new LossSteps(0, new[] { 0.5 }, new[] { 0.1 }), new LossSteps(0, new[] { 0.4 }, new[] { 0.1 }) };
        ConformalRiskControl.FromSteps(losses, 1.0, "custom").Threshold(0.5).Should().Be(double.PositiveInfinity);
    }

    [Fact]
    public void Fit_CustomMonotoneLoss_IsUsed()
    {
        // A loss that doubles the false-negative rate up to B = 2 gives the threshold of FNR at α/2.
        using var maps = TestMaps(40, 21, out var masks);
        using (masks)
        {
            var twice = ConformalRiskControl.Fit(maps, masks, new TwiceFnr());
            var once = ConformalRiskControl.Fit(maps, masks);
            twice.LossName.Should().Be("2FNR");
            twice.Threshold(0.4).Should().Be(once.Threshold(0.2));
        }
    }

    [Fact]
    public void Fit_InvalidInputs_Throw()
    {
        using var maps = torch.rand(3, 4, 4);
        using var masks = torch.zeros(3, 4, 5, ScalarType.Bool);
        using var emptyMasks = torch.zeros(3, 4, 4, ScalarType.Bool);
        using var classes = torch.rand(new long[] { 3, 2, 4, 4, 4 });
        FluentActions.Invoking(() => ConformalRiskControl.Fit(maps, masks)).Should().Throw<ArgumentException>().WithParameterName("masks");
        FluentActions.Invoking(() => ConformalRiskControl.Fit(maps, emptyMasks)).Should().Throw<ArgumentException>().WithMessage("*every true mask is empty*");
        FluentActions.Invoking(() => ConformalRiskControl.Fit(classes, emptyMasks)).Should().Throw<ArgumentException>().WithParameterName("maps");
        FluentActions.Invoking(() => new LossSteps(0, new[] { 0.5 }, new[] { -0.1 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("increments");
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalThresholds()
    {
        using var maps = TestMaps(30, 22, out var masks);
        using (masks)
        {
            var fitted = ConformalRiskControl.Fit(maps, masks);
            var path = Path.Combine(directory, "crc.json");
            fitted.Save(path);
            var loaded = ConformalRiskControl.Load(path);
            foreach (var alpha in new[] { 0.05, 0.1, 0.2, 0.5 })
            {
                loaded.Threshold(alpha).Should().Be(fitted.Threshold(alpha));
            }

            loaded.CalibrationCount.Should().Be(30);
        }
    }

    [Fact]
    public void Predict_500SeededSplits_MeanFalseNegativeRateIsAtMostAlpha()
    {
        // Angelopoulos et al. 2022, theorem 1 (E[L] ≤ α) and theorem 2 (E[L] ≥ α − 2B/(n + 1) for distinct jumps), over 500 splits.
        const int replicates = 500;
        const int n = 30;
        const double alpha = 0.1;
        var risks = new double[replicates];
        for (var r = 0; r < replicates; r++)
        {
            using var scope = torch.NewDisposeScope();
            var maps = TestMaps(2 * n, 1000 + r, out var masks);
            var control = ConformalRiskControl.Fit(maps.narrow(0, 0, n), masks.narrow(0, 0, n));
            risks[r] = MeanFnr(maps.narrow(0, n, n), masks.narrow(0, n, n), control.Threshold(alpha));
        }

        var mean = risks.Average();
        var sd = Math.Sqrt(risks.Select(v => (v - mean) * (v - mean)).Sum() / (replicates - 1) / replicates);
        mean.Should().BeLessThanOrEqualTo(alpha + (4 * sd));
        mean.Should().BeGreaterThanOrEqualTo(alpha - (2.0 / (n + 1)) - (4 * sd));
    }

    private static Tensor TestMaps(int n, int seed, out Tensor masks)
    {
        using var generator = new torch.Generator((ulong)seed);
        using var scope = torch.NewDisposeScope();
        var truth = torch.rand(new long[] { n, 5, 5 }, ScalarType.Float64, generator: generator).lt(0.3);
        truth[.., 2, 2] = torch.tensor(true);
        var signal = torch.rand(new long[] { n, 5, 5 }, ScalarType.Float64, generator: generator);
        var maps = torch.where(truth, signal.mul(0.5).add(0.4), signal.mul(0.5));
        masks = truth.MoveToOuterDisposeScope();
        return maps.MoveToOuterDisposeScope();
    }

    private static double MeanFnr(Tensor maps, Tensor masks, double threshold)
    {
        using var scope = torch.NewDisposeScope();
        var missed = maps.lt(threshold).logical_and(masks).flatten(1).sum(1).to(ScalarType.Float64);
        var total = masks.flatten(1).sum(1).to(ScalarType.Float64);
        return torch.where(total.gt(0), missed.div(total.clamp_min(1)), torch.zeros_like(total)).mean().ToDouble();
    }

    private sealed class TwiceFnr : IMonotoneLoss
    {
        public string Name => "2FNR";

        public double Bound => 2;

        public LossSteps Steps(Tensor map, Tensor mask)
        {
            var once = FalseNegativeRate.Instance.Steps(map, mask);
            var jumps = new double[once.Jumps.Count];
            var increments = new double[jumps.Length];
            for (var i = 0; i < jumps.Length; i++)
            {
                jumps[i] = once.Jumps[i];
                increments[i] = 2 * once.Increments[i];
            }

            return new LossSteps(0, jumps, increments);
        }
    }
}
