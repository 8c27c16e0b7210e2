using System;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Regression;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Regression;

public sealed class RegressionMetricsTests
{
    private static readonly JsonElement Reference = Golden.Load("regression.json");

    public static TheoryData<int> Cases => new() { 0, 1, 2 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Metrics_OfTensors_MatchReferenceScript(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        using var mean = Golden.VectorTensor(golden.GetProperty("mean"));
        using var variance = Golden.VectorTensor(golden.GetProperty("variance"));
        using var targets = Golden.VectorTensor(golden.GetProperty("targets"));

        RegressionMetrics.GaussianNll(mean, variance, targets).Should().BeApproximately(golden.GetProperty("nll").GetDouble(), 1e-12);
        RegressionMetrics.Ence(mean, variance, targets).Should().BeApproximately(golden.GetProperty("ence10").GetDouble(), 1e-12);
        RegressionMetrics.Ence(mean, variance, targets, 7).Should().BeApproximately(golden.GetProperty("ence7").GetDouble(), 1e-12);
        RegressionMetrics.IntervalCoverage(mean, variance, targets, Golden.Vector(golden.GetProperty("levels")))
            .Should().Equal(Golden.Vector(golden.GetProperty("coverage")));
        RegressionMetrics.MiscalibrationArea(mean, variance, targets)
            .Should().BeApproximately(golden.GetProperty("miscalibrationArea100").GetDouble(), 1e-12);
        RegressionMetrics.MiscalibrationArea(mean, variance, targets, 13)
            .Should().BeApproximately(golden.GetProperty("miscalibrationArea13").GetDouble(), 1e-12);
        RegressionMetrics.Sharpness(variance).Should().BeApproximately(golden.GetProperty("sharpness").GetDouble(), 1e-12);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Metrics_OfSpans_MatchReferenceScript(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        var mean = Golden.Vector(golden.GetProperty("mean"));
        var variance = Golden.Vector(golden.GetProperty("variance"));
        var targets = Golden.Vector(golden.GetProperty("targets"));

        RegressionMetrics.GaussianNll(mean, variance, targets).Should().BeApproximately(golden.GetProperty("nll").GetDouble(), 1e-12);
        RegressionMetrics.Ence(mean, variance, targets, 7).Should().BeApproximately(golden.GetProperty("ence7").GetDouble(), 1e-12);
        RegressionMetrics.IntervalCoverage(mean, variance, targets, Golden.Vector(golden.GetProperty("levels")))
            .Should().Equal(Golden.Vector(golden.GetProperty("coverage")));
        RegressionMetrics.MiscalibrationArea(mean, variance, targets)
            .Should().BeApproximately(golden.GetProperty("miscalibrationArea100").GetDouble(), 1e-12);
        RegressionMetrics.Sharpness(variance).Should().BeApproximately(golden.GetProperty("sharpness").GetDouble(), 1e-12);
    }

    [Fact]
    public void Ence_WithTiedVariances_KeepsPositionOrderInsideTies()
    {
        var tied = Reference.GetProperty("tied");
        var mean = Golden.Vector(tied.GetProperty("mean"));
        var variance = Golden.Vector(tied.GetProperty("variance"));
        var targets = Golden.Vector(tied.GetProperty("targets"));
        RegressionMetrics.Ence(mean, variance, targets, 7).Should().BeApproximately(tied.GetProperty("ence7").GetDouble(), 1e-12);
        RegressionMetrics.Ence(mean, variance, targets, 4).Should().BeApproximately(tied.GetProperty("ence4").GetDouble(), 1e-12);
    }

    [Fact]
    public void Metrics_OfNByDTensors_TreatEveryValueAsAPrediction()
    {
        var golden = Reference.GetProperty("cases")[0];
        using var mean = Golden.VectorTensor(golden.GetProperty("mean"));
        using var variance = Golden.VectorTensor(golden.GetProperty("variance"));
        using var targets = Golden.VectorTensor(golden.GetProperty("targets"));
        using var mean2 = mean.reshape(100, 2);
        using var variance2 = variance.reshape(100, 2);
        using var targets2 = targets.reshape(100, 2).to(ScalarType.Float32).to(ScalarType.Float64);
        using var targetsExact = targets.reshape(100, 2);

        RegressionMetrics.GaussianNll(mean2, variance2, targetsExact).Should().BeApproximately(golden.GetProperty("nll").GetDouble(), 1e-12);
        RegressionMetrics.Ence(mean2, variance2, targetsExact).Should().BeApproximately(golden.GetProperty("ence10").GetDouble(), 1e-12);
        RegressionMetrics.MiscalibrationArea(mean2, variance2, targetsExact)
            .Should().BeApproximately(golden.GetProperty("miscalibrationArea100").GetDouble(), 1e-12);
        RegressionMetrics.GaussianNll(mean2, variance2, targets2).Should().BeApproximately(golden.GetProperty("nll").GetDouble(), 1e-5);
    }

    [Fact]
    public void Metrics_OfFloat32Tensors_AgreeWithFloat64()
    {
        var golden = Reference.GetProperty("cases")[1];
        using var mean = Golden.VectorTensor(golden.GetProperty("mean"), ScalarType.Float32);
        using var variance = Golden.VectorTensor(golden.GetProperty("variance"), ScalarType.Float32);
        using var targets = Golden.VectorTensor(golden.GetProperty("targets"), ScalarType.Float32);
        RegressionMetrics.GaussianNll(mean, variance, targets).Should().BeApproximately(golden.GetProperty("nll").GetDouble(), 1e-5);
        RegressionMetrics.Sharpness(variance).Should().BeApproximately(golden.GetProperty("sharpness").GetDouble(), 1e-6);
    }

    [Fact]
    public void Metrics_OfLargeWellSpecifiedSample_ShowCalibration()
    {
        // y ~ N(μ, σ²) exactly: coverage ≈ level within binomial tolerance, ENCE and area small, NLL ≈ E[½ log 2πσ²] + ½.
        const int n = 20000;
        using var generator = torch.manual_seed(11);
        using var mean = torch.randn(n, generator: generator, dtype: ScalarType.Float64);
        using var logVariance = torch.randn(n, generator: generator, dtype: ScalarType.Float64);
        using var variance = logVariance.exp();
        using var noise = torch.randn(n, generator: generator, dtype: ScalarType.Float64);
        using var targets = noise.mul(variance.sqrt()).add_(mean);

        var levels = new[] { 0.5, 0.9, 0.95 };
        var coverage = RegressionMetrics.IntervalCoverage(mean, variance, targets, levels);
        for (var i = 0; i < levels.Length; i++)
        {
            var tolerance = 4 * Math.Sqrt(levels[i] * (1 - levels[i]) / n);
            coverage[i].Should().BeApproximately(levels[i], tolerance);
        }

        RegressionMetrics.MiscalibrationArea(mean, variance, targets).Should().BeLessThan(0.01);
        RegressionMetrics.Ence(mean, variance, targets).Should().BeLessThan(0.05);
        using var halfLog = logVariance.mean();
        var expectedNll = 0.5 * Math.Log(2 * Math.PI) + 0.5 * halfLog.ToDouble() + 0.5;
        RegressionMetrics.GaussianNll(mean, variance, targets).Should().BeApproximately(expectedNll, 4 * Math.Sqrt(0.5 / n));
    }

    [Fact]
    public void Metrics_OfPerfectPointwiseVariance_AreExactlyKnown()
    {
        // Residuals ±σ in every bin: RMSE = RMV in each bin, so ENCE = 0; NLL = ½ log 2π + mean ½ log σ² + ½.
        var mean = new[] { 0.0, 0, 0, 0 };
        var variance = new[] { 1.0, 1, 4, 4 };
        var targets = new[] { 1.0, -1, 2, -2 };
        RegressionMetrics.Ence(mean, variance, targets, 2).Should().BeApproximately(0.0, 1e-15);
        RegressionMetrics.GaussianNll(mean, variance, targets).Should().BeApproximately(0.5 * Math.Log(2 * Math.PI) + 0.25 * Math.Log(4) + 0.5, 1e-15);
        RegressionMetrics.Sharpness(variance).Should().BeApproximately(Math.Sqrt(2.5), 1e-15);
    }

    [Fact]
    public void MiscalibrationArea_OfAllResidualsZero_IsTheAreaAboveTheDiagonal()
    {
        // Every target equals its mean: every interval covers everything, so obs(p) = 1 for p > 0 and obs(0) = 1 too (r = 0 is inside [0, 0]).
        var mean = new[] { 1.0, 2.0, 3.0 };
        var variance = new[] { 1.0, 1.0, 1.0 };
        RegressionMetrics.MiscalibrationArea(mean, variance, mean).Should().BeApproximately(0.5, 1e-15);
        RegressionMetrics.IntervalCoverage(mean, variance, mean, new[] { 0.01 }).Should().Equal(1.0);
    }

    [Fact]
    public void Metrics_AreInvariant_ToShiftAndScaleOfTheProblem()
    {
        // Shifting μ and y together and scaling μ, y, σ by c leaves ENCE, coverage and area unchanged, and NLL shifts by log c.
        var golden = Reference.GetProperty("cases")[2];
        var mean = Golden.Vector(golden.GetProperty("mean"));
        var variance = Golden.Vector(golden.GetProperty("variance"));
        var targets = Golden.Vector(golden.GetProperty("targets"));
        const double c = 3.0;
        var mean2 = Array.ConvertAll(mean, v => c * (v + 5));
        var variance2 = Array.ConvertAll(variance, v => c * c * v);
        var targets2 = Array.ConvertAll(targets, v => c * (v + 5));
        RegressionMetrics.Ence(mean2, variance2, targets2).Should().BeApproximately(RegressionMetrics.Ence(mean, variance, targets), 1e-12);
        RegressionMetrics.MiscalibrationArea(mean2, variance2, targets2)
            .Should().BeApproximately(RegressionMetrics.MiscalibrationArea(mean, variance, targets), 1e-12);
        RegressionMetrics.GaussianNll(mean2, variance2, targets2)
            .Should().BeApproximately(RegressionMetrics.GaussianNll(mean, variance, targets) + Math.Log(c), 1e-12);
    }

    [Fact]
    public void Metrics_WithNaNOrInfinity_ThrowNamingTheArgument()
    {
        using var good = torch.ones(4, dtype: ScalarType.Float64);
        using var nan = torch.tensor(new[] { 1.0, double.NaN, 1, 1 });
        using var inf = torch.tensor(new[] { 1.0, 1, double.PositiveInfinity, 1 });
        using var negInf = torch.tensor(new[] { 1.0, 1, 1, double.NegativeInfinity });
        ((Action)(() => RegressionMetrics.GaussianNll(nan, good, good))).Should().Throw<ArgumentException>()
            .WithParameterName("mean").WithMessage("mean has 1 NaN value (first at row 1)*");
        ((Action)(() => RegressionMetrics.Ence(good, inf, good, 2))).Should().Throw<ArgumentException>().WithParameterName("variance");
        ((Action)(() => RegressionMetrics.MiscalibrationArea(good, good, negInf))).Should().Throw<ArgumentException>()
            .WithParameterName("targets").WithMessage("targets has 1 infinite value (first at row 3)*");
        ((Action)(() => RegressionMetrics.IntervalCoverage(good, good, nan, new[] { 0.9 }))).Should().Throw<ArgumentException>().WithParameterName("targets");
        ((Action)(() => RegressionMetrics.Sharpness(inf))).Should().Throw<ArgumentException>().WithParameterName("variance");

        var span = new[] { 1.0, 1, 1, 1 };
        var spanNaN = new[] { 1.0, 1, double.NaN, 1 };
        ((Action)(() => RegressionMetrics.GaussianNll(span, span, spanNaN))).Should().Throw<ArgumentException>()
            .WithParameterName("targets").WithMessage("targets has 1 NaN or infinite value (first at index 2: NaN)*");
        ((Action)(() => RegressionMetrics.Sharpness(new[] { double.PositiveInfinity }))).Should().Throw<ArgumentException>().WithParameterName("variance");
    }

    [Fact]
    public void Metrics_WithNonPositiveVariance_Throw()
    {
        using var good = torch.ones(3, dtype: ScalarType.Float64);
        using var zero = torch.tensor(new[] { 1.0, 0.0, -1.0 });
        ((Action)(() => RegressionMetrics.GaussianNll(good, zero, good))).Should().Throw<ArgumentException>().WithParameterName("variance")
            .WithMessage("variance must be strictly positive; found 2 values ≤ 0 (first at row 1: 0)*");
        ((Action)(() => RegressionMetrics.Sharpness(zero))).Should().Throw<ArgumentException>().WithParameterName("variance");
        ((Action)(() => RegressionMetrics.Ence(new[] { 1.0, 2 }, new[] { 1.0, -0.5 }, new[] { 1.0, 2 }, 1))).Should().Throw<ArgumentException>()
            .WithMessage("variance must be strictly positive; found 1 value ≤ 0 (first at index 1: -0.5)*");
    }

    [Fact]
    public void Metrics_WithMismatchedOrEmptyInput_Throw()
    {
        using var three = torch.ones(3, dtype: ScalarType.Float64);
        using var four = torch.ones(4, dtype: ScalarType.Float64);
        using var matrix = torch.ones(3, 1, dtype: ScalarType.Float64);
        using var empty = torch.ones(0, dtype: ScalarType.Float64);
        using var emptyColumns = torch.ones(3, 0, dtype: ScalarType.Float64);
        ((Action)(() => RegressionMetrics.GaussianNll(three, four, three))).Should().Throw<ArgumentException>()
            .WithParameterName("variance").WithMessage("variance has shape (4) but mean has shape (3); they must match*");
        ((Action)(() => RegressionMetrics.Ence(three, three, matrix, 1))).Should().Throw<ArgumentException>().WithParameterName("targets");
        ((Action)(() => RegressionMetrics.MiscalibrationArea(empty, empty, empty))).Should().Throw<ArgumentException>().WithMessage("mean is empty*");
        ((Action)(() => RegressionMetrics.GaussianNll(emptyColumns, emptyColumns, emptyColumns))).Should().Throw<ArgumentException>().WithMessage("mean is empty*");
        ((Action)(() => RegressionMetrics.GaussianNll(three, null!, three))).Should().Throw<ArgumentNullException>();
        ((Action)(() => RegressionMetrics.GaussianNll(new[] { 1.0, 2 }, new[] { 1.0 }, new[] { 1.0, 2 }))).Should().Throw<ArgumentException>()
            .WithMessage("variance has 1 values but mean has 2; they must match*");
        ((Action)(() => RegressionMetrics.Sharpness(Array.Empty<double>()))).Should().Throw<ArgumentException>().WithMessage("variance is empty*");
        ((Action)(() => RegressionMetrics.GaussianNll(Array.Empty<double>(), Array.Empty<double>(), Array.Empty<double>()))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Metrics_WithBadBinsOrLevels_Throw()
    {
        var v = new[] { 1.0, 1, 1 };
        ((Action)(() => RegressionMetrics.Ence(v, v, v, 4))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("bins")
            .WithMessage("bins must be from 1 to the number of values (3); found 4*");
        ((Action)(() => RegressionMetrics.Ence(v, v, v, 0))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => RegressionMetrics.MiscalibrationArea(v, v, v, 1))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("bins");
        foreach (var level in new[] { 0.0, 1.0, -0.1, 1.5, double.NaN, double.PositiveInfinity })
        {
            ((Action)(() => RegressionMetrics.IntervalCoverage(v, v, v, new[] { 0.5, level }))).Should().Throw<ArgumentOutOfRangeException>()
                .WithParameterName("levels").WithMessage("levels must each be in the open interval (0, 1); found * at index 1*");
        }

        ((Action)(() => RegressionMetrics.IntervalCoverage(v, v, v, Array.Empty<double>()))).Should().Throw<ArgumentException>().WithMessage("levels is empty*");
    }

    [Fact]
    public void Metrics_LeakNoTensors()
    {
        using var mean = torch.randn(50, 2);
        using var variance = torch.rand(50, 2).add_(0.1);
        using var targets = torch.randn(50, 2);
        var before = LiveTensors.Count;
        RegressionMetrics.GaussianNll(mean, variance, targets);
        RegressionMetrics.Ence(mean, variance, targets);
        RegressionMetrics.IntervalCoverage(mean, variance, targets, new[] { 0.9 });
        RegressionMetrics.MiscalibrationArea(mean, variance, targets);
        RegressionMetrics.Sharpness(variance);
        LiveTensors.Count.Should().Be(before);
    }
}
