using System;
using System.Globalization;
using System.IO;
using System.Text.Json;
using FluentAssertions;
using MathNet.Numerics.Distributions;
using TorchSharp;
using Uqlib.Conformal;
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

        SplitConformal.FitAbsolute(meanTensor, targetsTensor).Quantiles(alpha).Should().Equal(absolute);
        SplitConformal.FitAbsolute(mean, targets).Quantiles(alpha).Should().Equal(absolute);
        SplitConformal.FitNormalized(meanTensor, varianceTensor, targetsTensor).Quantiles(alpha)[0].Should().BeApproximately(normalized, 1e-15);
        SplitConformal.FitNormalized(mean, variance, targets).Quantiles(alpha)[0].Should().BeApproximately(normalized, 1e-15);
    }

    [Fact]
    public void Fit_UsesTheCorrectedRank()
    {
        // n = 9, α = 0.1: k = ⌈10·0.9⌉ = 9, the largest score; n = 19, α = 0.1: k = ⌈18⌉ = 18; n = 20: k = ⌈18.9⌉ = 19.
        var nine = new double[] { 5, 1, 9, 3, 7, 2, 8, 4, 6 };
        SplitConformal.FitAbsolute(new double[9], nine).Quantiles(0.1).Should().Equal(9.0);
        var twenty = new double[20];
        for (var i = 0; i < 20; i++)
        {
            twenty[i] = 20 - i;
        }

        SplitConformal.FitAbsolute(new double[19], twenty.AsSpan(1).ToArray()).Quantiles(0.1).Should().Equal(18.0);
        SplitConformal.FitAbsolute(new double[20], twenty).Quantiles(0.1).Should().Equal(19.0);
        ConformalQuantile.Rank(99, 0.1).Should().Be(90);
        ConformalQuantile.Rank(9, 0.1).Should().Be(9);
    }

    [Fact]
    public void MinimumCalibrationCount_IsTheSmallestNWithRankAtMostN()
    {
        foreach (var alpha in new[] { 0.5, 0.3, 0.2, 0.1, 0.05, 0.01, 0.001, 0.9, 0.37 })
        {
            var n = SplitConformal.MinimumCalibrationCount(alpha);
            ConformalQuantile.Rank(n, alpha).Should().BeLessThanOrEqualTo(n);
            if (n > 1)
            {
                ConformalQuantile.Rank(n - 1, alpha).Should().BeGreaterThan(n - 1);
            }
        }

        SplitConformal.MinimumCalibrationCount(0.1).Should().Be(9);
        SplitConformal.MinimumCalibrationCount(0.05).Should().Be(19);
    }

    [Fact]
    public void Predict_WithAlphaBelowOneOverNPlusOne_ThrowsSayingSo()
    {
        var fitted = SplitConformal.FitAbsolute(new double[8], new double[8]);
        var act = () => fitted.Quantiles(0.1);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("alpha")
            .WithMessage("alpha = 0.1 is below 1/(n + 1) = 0.111111 for the calibration scores (n = 8): the ⌈(n + 1)(1 − α)⌉ = 9-th smallest score does not exist*at least 9 calibration scores*");
        fitted.Quantiles(0.2).Should().HaveCount(1);
        using var mean = torch.zeros(18, dtype: ScalarType.Float64);
        using var variance = torch.ones(18, dtype: ScalarType.Float64);
        var normalized = SplitConformal.FitNormalized(mean, variance, mean);
        ((Action)(() => normalized.Predict(mean, variance, 0.05))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*at least 19*");
    }

    [Fact]
    public void Fit_WithBadAlphaOrInput_Throws()
    {
        using var mean = torch.zeros(50, dtype: ScalarType.Float64);
        using var variance = torch.ones(50, dtype: ScalarType.Float64);
        foreach (var alpha in new[] { 0.0, 1.0, -0.1, 1.5, double.NaN, double.PositiveInfinity })
        {
            ((Action)(() => SplitConformal.FitAbsolute(mean, mean).Quantiles(alpha))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("alpha")
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
        ((Action)(() => SplitConformal.FitAbsolute(mean, nan))).Should().Throw<ArgumentException>()
            .WithParameterName("targets").WithMessage("targets has 1 NaN value (first at row 3)*");
        ((Action)(() => SplitConformal.FitNormalized(mean, inf, mean))).Should().Throw<ArgumentException>().WithParameterName("variance");
        ((Action)(() => SplitConformal.FitNormalized(mean, zero, mean))).Should().Throw<ArgumentException>()
            .WithMessage("variance must be strictly positive; found 1 value ≤ 0 (first at row 5: 0)*");
        ((Action)(() => SplitConformal.FitAbsolute(mean, shorter))).Should().Throw<ArgumentException>().WithMessage("targets has shape (49) but mean has shape (50)*");
        ((Action)(() => SplitConformal.FitAbsolute(empty, empty))).Should().Throw<ArgumentException>().WithMessage("mean is empty*");
        ((Action)(() => SplitConformal.FitAbsolute(new double[3], new double[2]))).Should().Throw<ArgumentException>().WithMessage("targets has 2 values but mean has 3*");
        ((Action)(() => SplitConformal.FitAbsolute(Array.Empty<double>(), Array.Empty<double>()))).Should().Throw<ArgumentException>().WithMessage("mean is empty*");
        ((Action)(() => SplitConformal.FitAbsolute(new double[3], new[] { 1.0, double.PositiveInfinity, 2 }))).Should().Throw<ArgumentException>()
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
        var expected = (double)ConformalQuantile.Rank(n, alpha) / (n + 1);
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

            var absolute = SplitConformal.FitAbsolute(mean, targets);
            var normalized = SplitConformal.FitNormalized(mean, variance, targets);
            Draw(random, out var testMean, out var testVariance, out var testTarget);
            coveredAbsolute += Math.Abs(testTarget - testMean) <= absolute.Quantiles(alpha)[0] ? 1 : 0;
            coveredNormalized += Math.Abs(testTarget - testMean) <= normalized.Quantiles(alpha)[0] * Math.Sqrt(testVariance) ? 1 : 0;
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
        var expected = (double)ConformalQuantile.Rank(n, alpha) / (n + 1);
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

            var q = SplitConformal.FitAbsolute(mean, targets).Quantiles(alpha)[0];
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

        var normalized = SplitConformal.FitNormalized(calibrationMean, calibrationVariance, calibrationTargets);
        var absolute = SplitConformal.FitAbsolute(calibrationMean, calibrationTargets);
        normalized.Quantiles(0.1)[0].Should().BeApproximately(Normal.InvCDF(0, 1, 0.95), 0.1, "normalised residuals are N(0, 1)");
        using var adaptive = normalized.Predict(testMean, testVariance, 0.1);
        using var constant = absolute.Predict(testMean, 0.1);
        using var alsoConstant = absolute.Predict(testMean, testVariance, 0.1);

        var tolerance = 4 * Math.Sqrt(0.9 * 0.1 / 2000) + 0.02;
        adaptive.Coverage(testTargets).Should().BeApproximately(0.9, tolerance);
        constant.Coverage(testTargets).Should().BeApproximately(0.9, tolerance);
        constant.Lower.allclose(alsoConstant.Lower, rtol: 0, atol: 0).Should().BeTrue();
        adaptive.MeanWidth().Should().BeLessThan(constant.MeanWidth(), "σ-adaptive intervals are narrower when σ is right");
        using var expectedUpper = testVariance.sqrt().mul(normalized.Quantiles(0.1)[0]).add(testMean);
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
        var fitted = SplitConformal.FitAbsolute(mean, targets);
        fitted.IsMultiOutput.Should().BeTrue();
        fitted.Quantiles(0.2).Should().HaveCount(2);
        fitted.Quantiles(0.2)[0].Should().Be(SplitConformal.FitAbsolute(Golden.ToArray(mean.select(1, 0)), Golden.ToArray(targets.select(1, 0))).Quantiles(0.2)[0]);
        fitted.Quantiles(0.2)[1].Should().Be(SplitConformal.FitAbsolute(Golden.ToArray(mean.select(1, 1)), Golden.ToArray(targets.select(1, 1))).Quantiles(0.2)[0]);

        using var test = torch.zeros(3, 2, dtype: ScalarType.Float32);
        using var interval = fitted.Predict(test, 0.2);
        interval.Upper.dtype.Should().Be(ScalarType.Float32);
        Golden.ToArray(interval.Upper[0]).Should().Equal(new[] { fitted.Quantiles(0.2)[0], fitted.Quantiles(0.2)[1] }, (a, b) => Math.Abs(a - b) < 1e-5 * b);
        using var wrong = torch.zeros(3, 3);
        using var vector = torch.zeros(3);
        ((Action)(() => fitted.Predict(wrong, 0.2))).Should().Throw<ArgumentException>().WithMessage("mean must have shape (N, 2) as the calibration data had; found (3, 3)*");
        ((Action)(() => fitted.Predict(vector, 0.2))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Predict_WithWrongCallOrInput_Throws()
    {
        var normalized = SplitConformal.FitNormalized(new double[9], new double[] { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });
        using var mean = torch.zeros(4, dtype: ScalarType.Float64);
        using var variance = torch.ones(4, dtype: ScalarType.Float64);
        using var badVariance = torch.tensor(new[] { 1.0, -1, 1, 1 });
        using var nanMean = torch.tensor(new[] { 1.0, double.NaN, 1, 1 });
        ((Action)(() => normalized.Predict(mean, 0.1))).Should().Throw<InvalidOperationException>().WithMessage("*call Predict(mean, variance, alpha)*");
        ((Action)(() => normalized.Predict(mean, badVariance, 0.1))).Should().Throw<ArgumentException>().WithParameterName("variance");
        ((Action)(() => normalized.Predict(nanMean, variance, 0.1))).Should().Throw<ArgumentException>().WithParameterName("mean");
        using var interval = normalized.Predict(mean, variance, 0.1);
        using var targets = torch.zeros(5, dtype: ScalarType.Float64);
        ((Action)(() => interval.Coverage(targets))).Should().Throw<ArgumentException>().WithParameterName("targets");
    }

    [Fact]
    public void Predict_LeaksNoTensors()
    {
        var fitted = SplitConformal.FitNormalized(new double[9], new double[] { 1, 1, 1, 1, 1, 1, 1, 1, 1 }, new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });
        using var mean = torch.zeros(4, dtype: ScalarType.Float64);
        using var variance = torch.ones(4, dtype: ScalarType.Float64);
        var before = LiveTensors.Count;
        using (var interval = fitted.Predict(mean, variance, 0.1))
        {
            interval.Coverage(mean);
            interval.MeanWidth();
        }

        SplitConformal.FitNormalized(mean, variance, mean);
        LiveTensors.Count.Should().Be(before);
    }

    [Fact]
    public void SaveLoad_RoundTrips_GivingIdenticalIntervals()
    {
        using var generator = torch.manual_seed(8);
        using var mean = torch.randn(60, 3, generator: generator, dtype: ScalarType.Float64);
        using var variance = torch.rand(60, 3, generator: generator, dtype: ScalarType.Float64).add_(0.1);
        using var targets = torch.randn(60, 3, generator: generator, dtype: ScalarType.Float64);
        var fitted = SplitConformal.FitNormalized(mean, variance, targets);
        var path = Path.Combine(directory, "conformal.json");
        fitted.Save(path);
        var loaded = SplitConformal.Load(path);
        loaded.Score.Should().Be(fitted.Score);
        loaded.CalibrationCount.Should().Be(60);
        loaded.IsMultiOutput.Should().BeTrue();
        loaded.Quantiles(0.1).Should().Equal(fitted.Quantiles(0.1));
        loaded.Quantiles(0.3).Should().Equal(fitted.Quantiles(0.3));
        using var a = fitted.Predict(mean, variance, 0.1);
        using var b = loaded.Predict(mean, variance, 0.1);
        a.Lower.allclose(b.Lower, rtol: 0, atol: 0).Should().BeTrue();
        a.Upper.allclose(b.Upper, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Load_OfCorruptTruncatedOrWrongFile_ThrowsClearly()
    {
        var path = Path.Combine(directory, "conformal.json");
        var fitted = SplitConformal.FitAbsolute(new double[10], new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 });
        fitted.Save(path);
        var text = SavedFiles.Fields(File.ReadAllBytes(path));
        SavedFiles.ShouldRefuseCorruptions(fitted.Save, SplitConformal.Load, "SplitConformal");

        void Expect(string content, string problem)
        {
            SavedFiles.ShouldRefuseFields(content, SplitConformal.Load, "SplitConformal", problem);
        }

        Expect(text.Replace("AbsoluteResidual", "Quantile", StringComparison.Ordinal), "\"score\" is 'Quantile', not a ConformalScore");
        Expect(text.Replace("\"dimensions\": 1", "\"dimensions\": 3", StringComparison.Ordinal), "*cannot be 3 columns*");
        Expect(text.Replace("\"multiOutput\": false", "\"multiOutput\": 0", StringComparison.Ordinal), "\"multiOutput\" is not true or false");
        Expect(text.Replace("\"scores\": [", "\"scores\": [-1, ", StringComparison.Ordinal), "*≥ 0 and sorted*");
        Expect(text.Replace("\"scores\": [", "\"scores\": [99, ", StringComparison.Ordinal), "*≥ 0 and sorted*");
        Expect(text.Replace("\"scores\": [", "\"xscores\": [", StringComparison.Ordinal), "\"scores\" is missing");
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
