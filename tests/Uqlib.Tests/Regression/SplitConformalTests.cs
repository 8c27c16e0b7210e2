using System;
using System.Globalization;
using System.IO;
using System.Text.Json;
using FluentAssertions;
using MathNet.Numerics.Distributions;
using TorchSharp;
using Uqlib.Regression;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Regression;

public sealed class SplitConformalTests : IDisposable
{
    private static readonly JsonElement Reference = Golden.Load("regression.json");

    private readonly string directory = Directory.CreateTempSubdirectory("uqlib-conformal-").FullName;

    public static TheoryData<int, double> CasesAndAlphas => new()
    {
        { 0, 0.05 }, { 0, 0.1 }, { 0, 0.2 }, { 1, 0.05 }, { 1, 0.1 }, { 1, 0.2 }, { 2, 0.05 }, { 2, 0.1 }, { 2, 0.2 },
    };

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
    }

    [Theory]
    [MemberData(nameof(CasesAndAlphas))]
    public void Fit_MatchesReferenceQuantiles(int index, double alpha)
    {
        var golden = Reference.GetProperty("cases")[index];
        var key = alpha.ToString(CultureInfo.InvariantCulture);
        var mean = Golden.Vector(golden.GetProperty("mean"));
        var variance = Golden.Vector(golden.GetProperty("variance"));
        var targets = Golden.Vector(golden.GetProperty("targets"));
        using var meanTensor = torch.tensor(mean);
        using var varianceTensor = torch.tensor(variance);
        using var targetsTensor = torch.tensor(targets);
        var absolute = golden.GetProperty("conformalAbsolute").GetProperty(key).GetDouble();
        var normalized = golden.GetProperty("conformalNormalized").GetProperty(key).GetDouble();

        SplitConformal.FitAbsolute(meanTensor, targetsTensor, alpha).Quantiles.Should().Equal(absolute);
        SplitConformal.FitAbsolute(mean, targets, alpha).Quantiles.Should().Equal(absolute);
        SplitConformal.FitNormalized(meanTensor, varianceTensor, targetsTensor, alpha).Quantiles[0].Should().BeApproximately(normalized, 1e-15);
        SplitConformal.FitNormalized(mean, variance, targets, alpha).Quantiles[0].Should().BeApproximately(normalized, 1e-15);
    }

    [Fact]
    public void Fit_UsesTheCorrectedRank()
    {
        // n = 9, α = 0.1: k = ⌈10·0.9⌉ = 9, the largest score; n = 19, α = 0.1: k = ⌈18⌉ = 18; n = 20: k = ⌈18.9⌉ = 19.
        var nine = new double[] { 5, 1, 9, 3, 7, 2, 8, 4, 6 };
        SplitConformal.FitAbsolute(new double[9], nine, 0.1).Quantiles.Should().Equal(9.0);
        var twenty = new double[20];
        for (var i = 0; i < 20; i++)
        {
            twenty[i] = 20 - i;
        }

        SplitConformal.FitAbsolute(new double[19], twenty.AsSpan(1).ToArray(), 0.1).Quantiles.Should().Equal(18.0);
        SplitConformal.FitAbsolute(new double[20], twenty, 0.1).Quantiles.Should().Equal(19.0);
        SplitConformal.Rank(99, 0.1).Should().Be(90);
        SplitConformal.Rank(9, 0.1).Should().Be(9);
    }

    [Fact]
    public void MinimumCalibrationCount_IsTheSmallestNWithRankAtMostN()
    {
        foreach (var alpha in new[] { 0.5, 0.3, 0.2, 0.1, 0.05, 0.01, 0.001, 0.9, 0.37 })
        {
            var n = SplitConformal.MinimumCalibrationCount(alpha);
            SplitConformal.Rank(n, alpha).Should().BeLessThanOrEqualTo(n);
            if (n > 1)
            {
                SplitConformal.Rank(n - 1, alpha).Should().BeGreaterThan(n - 1);
            }
        }

        SplitConformal.MinimumCalibrationCount(0.1).Should().Be(9);
        SplitConformal.MinimumCalibrationCount(0.05).Should().Be(19);
    }

    [Fact]
    public void Fit_WithTooFewCalibrationSamples_Throws()
    {
        var act = () => SplitConformal.FitAbsolute(new double[8], new double[8], 0.1);
        act.Should().Throw<ArgumentException>().WithParameterName("targets")
            .WithMessage("The calibration set has 8 samples; alpha = 0.1 needs at least 9 (the ⌈(n + 1)(1 − α)⌉ = 9-th smallest score must exist)*");
        using var mean = torch.zeros(18, dtype: ScalarType.Float64);
        using var variance = torch.ones(18, dtype: ScalarType.Float64);
        ((Action)(() => SplitConformal.FitNormalized(mean, variance, mean, 0.05))).Should().Throw<ArgumentException>().WithMessage("*needs at least 19*");
    }

    [Fact]
    public void Fit_WithBadAlphaOrInput_Throws()
    {
        using var mean = torch.zeros(50, dtype: ScalarType.Float64);
        using var variance = torch.ones(50, dtype: ScalarType.Float64);
        foreach (var alpha in new[] { 0.0, 1.0, -0.1, 1.5, double.NaN, double.PositiveInfinity })
        {
            ((Action)(() => SplitConformal.FitAbsolute(mean, mean, alpha))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("alpha")
                .WithMessage("alpha must be in the open interval (0, 1)*");
            ((Action)(() => SplitConformal.MinimumCalibrationCount(alpha))).Should().Throw<ArgumentOutOfRangeException>();
        }

        using var nan = mean.clone();
        nan[3] = torch.tensor(double.NaN);
        using var inf = variance.clone();
        inf[4] = torch.tensor(double.NegativeInfinity);
        using var zero = variance.clone();
        zero[5] = torch.tensor(0.0);
        using var shorter = torch.zeros(49, dtype: ScalarType.Float64);
        using var empty = torch.zeros(0, dtype: ScalarType.Float64);
        ((Action)(() => SplitConformal.FitAbsolute(mean, nan, 0.1))).Should().Throw<ArgumentException>()
            .WithParameterName("targets").WithMessage("targets has 1 NaN value (first at row 3)*");
        ((Action)(() => SplitConformal.FitNormalized(mean, inf, mean, 0.1))).Should().Throw<ArgumentException>().WithParameterName("variance");
        ((Action)(() => SplitConformal.FitNormalized(mean, zero, mean, 0.1))).Should().Throw<ArgumentException>()
            .WithMessage("variance must be strictly positive; found 1 value ≤ 0 (first at row 5: 0)*");
        ((Action)(() => SplitConformal.FitAbsolute(mean, shorter, 0.1))).Should().Throw<ArgumentException>().WithMessage("targets has shape (49) but mean has shape (50)*");
        ((Action)(() => SplitConformal.FitAbsolute(empty, empty, 0.1))).Should().Throw<ArgumentException>().WithMessage("mean is empty*");
        ((Action)(() => SplitConformal.FitAbsolute(new double[3], new double[2], 0.5))).Should().Throw<ArgumentException>().WithMessage("targets has 2 values but mean has 3*");
        ((Action)(() => SplitConformal.FitAbsolute(Array.Empty<double>(), Array.Empty<double>(), 0.5))).Should().Throw<ArgumentException>().WithMessage("mean is empty*");
        ((Action)(() => SplitConformal.FitAbsolute(new double[3], new[] { 1.0, double.PositiveInfinity, 2 }, 0.5))).Should().Throw<ArgumentException>()
            .WithParameterName("targets");
    }

    [Theory]
    [InlineData(99, 0.1)]
    [InlineData(50, 0.1)]
    [InlineData(19, 0.05)]
    [InlineData(200, 0.2)]
    public void Coverage_OverSeededRepetitions_IsWithinBinomialTolerance(int n, double alpha)
    {
        // One fresh calibration set and one test point per repetition: with continuous scores, the test point is covered with
        // probability exactly k/(n + 1), k = ⌈(n + 1)(1 − α)⌉, independently across repetitions, so the count is Binomial(R, k/(n + 1)).
        const int repetitions = 4000;
        var expected = (double)SplitConformal.Rank(n, alpha) / (n + 1);
        expected.Should().BeGreaterThanOrEqualTo(1 - alpha);
        var random = new Random(20261126 + n);
        var mean = new double[n];
        var variance = new double[n];
        var targets = new double[n];
        int coveredAbsolute = 0, coveredNormalized = 0;
        for (var r = 0; r < repetitions; r++)
        {
            for (var i = 0; i < n; i++)
            {
                Draw(random, out mean[i], out variance[i], out targets[i]);
            }

            var absolute = SplitConformal.FitAbsolute(mean, targets, alpha);
            var normalized = SplitConformal.FitNormalized(mean, variance, targets, alpha);
            Draw(random, out var testMean, out var testVariance, out var testTarget);
            coveredAbsolute += Math.Abs(testTarget - testMean) <= absolute.Quantiles[0] ? 1 : 0;
            coveredNormalized += Math.Abs(testTarget - testMean) <= normalized.Quantiles[0] * Math.Sqrt(testVariance) ? 1 : 0;
        }

        var tolerance = 4 * Math.Sqrt(repetitions * expected * (1 - expected));
        coveredAbsolute.Should().BeInRange((int)Math.Ceiling(repetitions * expected - tolerance), (int)Math.Floor(repetitions * expected + tolerance));
        coveredNormalized.Should().BeInRange((int)Math.Ceiling(repetitions * expected - tolerance), (int)Math.Floor(repetitions * expected + tolerance));
    }

    [Fact]
    public void Coverage_ConditionalOnCalibration_AveragesToTheExactFiniteSampleLevel()
    {
        // Residuals N(0, 1): given q̂, coverage is exactly 2Φ(q̂) − 1. Its mean over calibration sets is k/(n + 1) with standard
        // deviation √(p(1 − p)/(n + 2)/R): 30× smaller than the gap to the next rank, so an off-by-one rank fails.
        const int n = 50;
        const int repetitions = 4000;
        const double alpha = 0.1;
        var expected = (double)SplitConformal.Rank(n, alpha) / (n + 1);
        var random = new Random(7);
        var mean = new double[n];
        var targets = new double[n];
        var sum = 0.0;
        for (var r = 0; r < repetitions; r++)
        {
            for (var i = 0; i < n; i++)
            {
                targets[i] = Gaussian(random);
            }

            var q = SplitConformal.FitAbsolute(mean, targets, alpha).Quantiles[0];
            sum += 2 * Normal.CDF(0, 1, q) - 1;
        }

        var standardError = Math.Sqrt(expected * (1 - expected) / (n + 2) / repetitions);
        (sum / repetitions).Should().BeApproximately(expected, 4 * standardError);
    }

    [Fact]
    public void Predict_OfNormalizedScores_AdaptsToSigma_AndCoversOnHeteroscedasticData()
    {
        const int n = 4000;
        using var generator = torch.manual_seed(9);
        using var mean = torch.randn(n, generator: generator, dtype: ScalarType.Float64);
        using var variance = torch.rand(n, generator: generator, dtype: ScalarType.Float64).mul_(4).add_(0.05);
        using var noise = torch.randn(n, generator: generator, dtype: ScalarType.Float64);
        using var targets = noise.mul(variance.sqrt()).add_(mean);
        using var calibrationMean = mean[..2000];
        using var calibrationVariance = variance[..2000];
        using var calibrationTargets = targets[..2000];
        using var testMean = mean[2000..];
        using var testVariance = variance[2000..];
        using var testTargets = targets[2000..];

        var normalized = SplitConformal.FitNormalized(calibrationMean, calibrationVariance, calibrationTargets, 0.1);
        var absolute = SplitConformal.FitAbsolute(calibrationMean, calibrationTargets, 0.1);
        normalized.Quantiles[0].Should().BeApproximately(Normal.InvCDF(0, 1, 0.95), 0.1, "normalised residuals are N(0, 1)");
        using var adaptive = normalized.Predict(testMean, testVariance);
        using var constant = absolute.Predict(testMean);
        using var alsoConstant = absolute.Predict(testMean, testVariance);

        var tolerance = 4 * Math.Sqrt(0.9 * 0.1 / 2000) + 0.02;
        adaptive.Coverage(testTargets).Should().BeApproximately(0.9, tolerance);
        constant.Coverage(testTargets).Should().BeApproximately(0.9, tolerance);
        constant.Lower.allclose(alsoConstant.Lower, rtol: 0, atol: 0).Should().BeTrue();
        adaptive.MeanWidth().Should().BeLessThan(constant.MeanWidth(), "σ-adaptive intervals are narrower when σ is right");
        using var expectedUpper = testVariance.sqrt().mul(normalized.Quantiles[0]).add(testMean);
        adaptive.Upper.allclose(expectedUpper, rtol: 1e-15, atol: 1e-15).Should().BeTrue();
    }

    [Fact]
    public void FitAndPredict_OfNByD_UseOneQuantilePerDimension()
    {
        using var generator = torch.manual_seed(4);
        using var mean = torch.zeros(100, 2, dtype: ScalarType.Float64);
        using var noise = torch.randn(100, 2, generator: generator, dtype: ScalarType.Float64);
        using var scale = torch.tensor(new[] { 1.0, 10.0 });
        using var targets = noise.mul(scale);
        var fitted = SplitConformal.FitAbsolute(mean, targets, 0.2);
        fitted.IsMultiOutput.Should().BeTrue();
        fitted.Quantiles.Should().HaveCount(2);
        fitted.Quantiles[0].Should().Be(SplitConformal.FitAbsolute(Golden.ToArray(mean.select(1, 0)), Golden.ToArray(targets.select(1, 0)), 0.2).Quantiles[0]);
        fitted.Quantiles[1].Should().Be(SplitConformal.FitAbsolute(Golden.ToArray(mean.select(1, 1)), Golden.ToArray(targets.select(1, 1)), 0.2).Quantiles[0]);

        using var test = torch.zeros(3, 2, dtype: ScalarType.Float32);
        using var interval = fitted.Predict(test);
        interval.Upper.dtype.Should().Be(ScalarType.Float32);
        Golden.ToArray(interval.Upper[0]).Should().Equal(new[] { fitted.Quantiles[0], fitted.Quantiles[1] }, (a, b) => Math.Abs(a - b) < 1e-5 * b);
        using var wrong = torch.zeros(3, 3);
        using var vector = torch.zeros(3);
        ((Action)(() => fitted.Predict(wrong))).Should().Throw<ArgumentException>().WithMessage("mean must have shape (N, 2) as the calibration data had; found (3, 3)*");
        ((Action)(() => fitted.Predict(vector))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Predict_WithWrongCallOrInput_Throws()
    {
        var normalized = SplitConformal.FitNormalized(new double[9], new double[] { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 0.1);
        using var mean = torch.zeros(4, dtype: ScalarType.Float64);
        using var variance = torch.ones(4, dtype: ScalarType.Float64);
        using var badVariance = torch.tensor(new[] { 1.0, -1, 1, 1 });
        using var nanMean = torch.tensor(new[] { 1.0, double.NaN, 1, 1 });
        ((Action)(() => normalized.Predict(mean))).Should().Throw<InvalidOperationException>().WithMessage("*call Predict(mean, variance)*");
        ((Action)(() => normalized.Predict(mean, badVariance))).Should().Throw<ArgumentException>().WithParameterName("variance");
        ((Action)(() => normalized.Predict(nanMean, variance))).Should().Throw<ArgumentException>().WithParameterName("mean");
        using var interval = normalized.Predict(mean, variance);
        using var targets = torch.zeros(5, dtype: ScalarType.Float64);
        ((Action)(() => interval.Coverage(targets))).Should().Throw<ArgumentException>().WithParameterName("targets");
    }

    [Fact]
    public void Predict_LeaksNoTensors()
    {
        var fitted = SplitConformal.FitNormalized(new double[9], new double[] { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 0.1);
        using var mean = torch.zeros(4, dtype: ScalarType.Float64);
        using var variance = torch.ones(4, dtype: ScalarType.Float64);
        var before = LiveTensors.Count;
        using (var interval = fitted.Predict(mean, variance))
        {
            interval.Coverage(mean);
            interval.MeanWidth();
        }

        SplitConformal.FitNormalized(mean, variance, mean, 0.5);
        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void SaveLoad_RoundTrips_GivingIdenticalIntervals()
    {
        using var generator = torch.manual_seed(8);
        using var mean = torch.randn(60, 3, generator: generator, dtype: ScalarType.Float64);
        using var variance = torch.rand(60, 3, generator: generator, dtype: ScalarType.Float64).add_(0.1);
        using var targets = torch.randn(60, 3, generator: generator, dtype: ScalarType.Float64);
        var fitted = SplitConformal.FitNormalized(mean, variance, targets, 0.1);
        var path = Path.Combine(directory, "conformal.json");
        fitted.Save(path);
        var loaded = SplitConformal.Load(path);
        loaded.Score.Should().Be(fitted.Score);
        loaded.Alpha.Should().Be(fitted.Alpha);
        loaded.CalibrationCount.Should().Be(60);
        loaded.IsMultiOutput.Should().BeTrue();
        loaded.Quantiles.Should().Equal(fitted.Quantiles);
        using var a = fitted.Predict(mean, variance);
        using var b = loaded.Predict(mean, variance);
        a.Lower.allclose(b.Lower, rtol: 0, atol: 0).Should().BeTrue();
        a.Upper.allclose(b.Upper, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Load_OfCorruptTruncatedOrWrongFile_ThrowsClearly()
    {
        var path = Path.Combine(directory, "conformal.json");
        var fitted = SplitConformal.FitAbsolute(new double[10], new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 0.1);
        fitted.Save(path);
        var text = SavedFiles.Fields(File.ReadAllBytes(path));
        SavedFiles.ShouldRefuseCorruptions(fitted.Save, SplitConformal.Load, "SplitConformal");

        void Expect(string content, string problem)
        {
            SavedFiles.ShouldRefuseFields(content, SplitConformal.Load, "SplitConformal", problem);
        }

        Expect(text.Replace("AbsoluteResidual", "Quantile", StringComparison.Ordinal), "\"score\" is 'Quantile', not a ConformalScore");
        Expect(text.Replace("AbsoluteResidual", "1", StringComparison.Ordinal), "*is '1', not a ConformalScore");
        Expect(text.Replace("\"alpha\": 0.1", "\"alpha\": 1.5", StringComparison.Ordinal), "*alpha must be in the open interval (0, 1)*");
        Expect(text.Replace("\"calibrationCount\": 10", "\"calibrationCount\": 3", StringComparison.Ordinal), "*needs at least 9*");
        Expect(text.Replace("\"multiOutput\": false", "\"multiOutput\": 0", StringComparison.Ordinal), "\"multiOutput\" is not true or false");
        Expect(text.Replace("\"quantiles\": [", "\"quantiles\": [-1, ", StringComparison.Ordinal), "quantiles must be*");
        Expect(text.Replace("\"quantiles\": [", "\"quantiles\": [null, ", StringComparison.Ordinal), "\"quantiles[0]\" is not a finite number");
        Expect(text.Replace("\"quantiles\": [", "\"xquantiles\": [", StringComparison.Ordinal), "\"quantiles\" is missing");
        Expect(string.Empty, "its metadata length 0 does not fit its payload");
        ((Action)(() => SplitConformal.Load(Path.Combine(directory, "missing.json")))).Should().Throw<FileNotFoundException>();
        ((Action)(() => SplitConformal.Load(null!))).Should().Throw<ArgumentNullException>();
    }

    /// <summary>A heteroscedastic Gaussian sample whose predicted variance is off by a random factor in [0.5, 2].</summary>
    private static void Draw(Random random, out double mean, out double variance, out double target)
    {
        mean = 3 * Gaussian(random);
        var trueSigma = Math.Exp(0.5 * Gaussian(random));
        variance = trueSigma * trueSigma * Math.Pow(2, 2 * random.NextDouble() - 1);
        target = mean + trueSigma * Gaussian(random);
    }

    private static double Gaussian(Random random)
    {
        // Box–Muller with u₁ ∈ (0, 1].
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
