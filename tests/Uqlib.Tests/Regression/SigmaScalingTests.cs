using System;
using System.IO;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Regression;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Regression;

public sealed class SigmaScalingTests : IDisposable
{
    private static readonly JsonElement Reference = Golden.Load("regression.json");

    private readonly string directory = Directory.CreateTempSubdirectory("uqlib-sigma-").FullName;

    public static TheoryData<int> Cases => new() { 0, 1, 2 };

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fit_MatchesClosedFormAndReferenceOptimum(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        var mean = Golden.Vector(golden.GetProperty("mean"));
        var variance = Golden.Vector(golden.GetProperty("variance"));
        var targets = Golden.Vector(golden.GetProperty("targets"));
        var closedForm = 0.0;
        for (var i = 0; i < mean.Length; i++)
        {
            closedForm += (targets[i] - mean[i]) * (targets[i] - mean[i]) / variance[i];
        }

        closedForm = Math.Sqrt(closedForm / mean.Length);
        using var meanTensor = torch.tensor(mean);
        using var varianceTensor = torch.tensor(variance);
        using var targetsTensor = torch.tensor(targets);

        var fromTensors = SigmaScaling.Fit(meanTensor, varianceTensor, targetsTensor);
        var fromSpans = SigmaScaling.Fit(mean, variance, targets);
        fromTensors.Scale.Should().BeApproximately(closedForm, 1e-13);
        fromSpans.Scale.Should().BeApproximately(closedForm, 1e-13);
        fromTensors.Scale.Should().BeApproximately(golden.GetProperty("sigmaScale").GetDouble(), 1e-12);
    }

    [Fact]
    public void Fit_MinimisesTheValidationNll_AndNormalisesResiduals()
    {
        var golden = Reference.GetProperty("cases")[1];
        using var mean = Golden.VectorTensor(golden.GetProperty("mean"));
        using var variance = Golden.VectorTensor(golden.GetProperty("variance"));
        using var targets = Golden.VectorTensor(golden.GetProperty("targets"));
        var scaling = SigmaScaling.Fit(mean, variance, targets);
        scaling.Scale.Should().BeGreaterThan(1.5, "the 'overconfident' case predicts σ half the true one");

        using var calibrated = scaling.Calibrate(variance);
        var best = RegressionMetrics.GaussianNll(mean, calibrated, targets);
        best.Should().BeLessThan(RegressionMetrics.GaussianNll(mean, variance, targets));
        foreach (var factor in new[] { 0.99, 1.01, 0.9, 1.1 })
        {
            using var other = variance.mul(Math.Pow(scaling.Scale * factor, 2));
            RegressionMetrics.GaussianNll(mean, other, targets).Should().BeGreaterThan(best);
        }

        // After scaling, the mean squared normalised residual is exactly 1, so a second fit gives s = 1.
        SigmaScaling.Fit(mean, calibrated, targets).Scale.Should().BeApproximately(1.0, 1e-12);
    }

    [Fact]
    public void Fit_OnWellSpecifiedData_RecoversTheTrueFactor()
    {
        // y ~ N(μ, (2σ)²): s² = 4·mean of n χ²₁ variables has standard deviation 4√(2/n), so s has about √(2/n); allow 4 of them.
        const int n = 20000;
        using var generator = torch.manual_seed(5);
        using var mean = torch.randn(n, generator: generator, dtype: ScalarType.Float64);
        using var variance = torch.rand(n, generator: generator, dtype: ScalarType.Float64).add_(0.5);
        using var noise = torch.randn(n, generator: generator, dtype: ScalarType.Float64);
        using var targets = noise.mul(variance.sqrt()).mul_(2.0).add_(mean);
        SigmaScaling.Fit(mean, variance, targets).Scale.Should().BeApproximately(2.0, 4 * Math.Sqrt(2.0 / n));
    }

    [Fact]
    public void Calibrate_MultipliesVariancesByTheSquaredScale_KeepingDtype()
    {
        var scaling = SigmaScaling.WithScale(3.0);
        using var variance = torch.tensor(new float[,] { { 1, 2 }, { 0.5f, 4 } });
        using var calibrated = scaling.Calibrate(variance);
        calibrated.dtype.Should().Be(ScalarType.Float32);
        Golden.ToArray(calibrated).Should().Equal(9, 18, 4.5, 36);

        using var output = torch.tensor(new double[,] { { 1, 0 }, { 2, Math.Log(2) } });
        using var prediction = GaussianPrediction.FromOutput(output);
        using var scaled = scaling.Calibrate(prediction);
        Golden.ToArray(scaled.Mean).Should().Equal(1, 2);
        Golden.ToArray(scaled.Variance).Should().Equal(new[] { 9.0, 18 }, (a, b) => Math.Abs(a - b) < 1e-14);
    }

    [Fact]
    public void Fit_WithBadInput_Throws()
    {
        var ok = new[] { 1.0, 2.0 };
        ((Action)(() => SigmaScaling.Fit(ok, ok, ok))).Should().Throw<ArgumentException>().WithParameterName("targets").WithMessage("*non-zero residual*");
        ((Action)(() => SigmaScaling.Fit(ok, new[] { 1.0, 0 }, ok))).Should().Throw<ArgumentException>().WithParameterName("variance");
        ((Action)(() => SigmaScaling.Fit(ok, ok, new[] { 1.0, double.NaN }))).Should().Throw<ArgumentException>().WithParameterName("targets");
        ((Action)(() => SigmaScaling.Fit(ok, ok, new[] { 1.0 }))).Should().Throw<ArgumentException>().WithMessage("targets has 1 values but mean has 2*");
        ((Action)(() => SigmaScaling.Fit(Array.Empty<double>(), Array.Empty<double>(), Array.Empty<double>()))).Should().Throw<ArgumentException>()
            .WithMessage("mean is empty*");
        using var t = torch.ones(3, dtype: ScalarType.Float64);
        using var inf = torch.tensor(new[] { 1.0, double.PositiveInfinity, 1 });
        using var tiny = torch.full(3, 1e-320, dtype: ScalarType.Float64);
        using var far = torch.full(3, 1e10, dtype: ScalarType.Float64);
        ((Action)(() => SigmaScaling.Fit(inf, t, t))).Should().Throw<ArgumentException>().WithParameterName("mean");
        ((Action)(() => SigmaScaling.Fit(t, tiny, far))).Should().Throw<ArgumentException>().WithMessage("*overflow*");
        ((Action)(() => SigmaScaling.WithScale(0))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => SigmaScaling.WithScale(double.NaN))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => SigmaScaling.WithScale(1).Calibrate(inf))).Should().Throw<ArgumentException>().WithParameterName("variance");
    }

    [Fact]
    public void SaveLoad_RoundTrips_GivingIdenticalVariances()
    {
        using var generator = torch.manual_seed(2);
        using var mean = torch.randn(100, generator: generator, dtype: ScalarType.Float64);
        using var variance = torch.rand(100, generator: generator, dtype: ScalarType.Float64).add_(0.1);
        using var targets = torch.randn(100, generator: generator, dtype: ScalarType.Float64);
        var scaling = SigmaScaling.Fit(mean, variance, targets);
        var path = Path.Combine(directory, "sigma.json");
        scaling.Save(path);
        var loaded = SigmaScaling.Load(path);
        loaded.Scale.Should().Be(scaling.Scale);
        using var a = scaling.Calibrate(variance);
        using var b = loaded.Calibrate(variance);
        a.allclose(b, rtol: 0, atol: 0).Should().BeTrue();
        Directory.GetFiles(directory).Should().Equal(path);
    }

    [Fact]
    public void Load_OfCorruptTruncatedOrWrongFile_ThrowsClearly()
    {
        var path = Path.Combine(directory, "sigma.uqlib");
        SigmaScaling.WithScale(1.25).Save(path);
        var text = SavedFiles.Fields(File.ReadAllBytes(path));
        SavedFiles.ShouldRefuseCorruptions(SigmaScaling.WithScale(1.25).Save, SigmaScaling.Load, "SigmaScaling");
        SavedFiles.ShouldRefuseFields(text.Replace("1.25", "-1.25", StringComparison.Ordinal), SigmaScaling.Load, "SigmaScaling", "scale must be greater than 0; found -1.25");
        SavedFiles.ShouldRefuseFields(text.Replace("1.25", "\"x\"", StringComparison.Ordinal), SigmaScaling.Load, "SigmaScaling", "\"scale\" is not a finite number");
        SavedFiles.ShouldRefuseFields("[1, 2]", SigmaScaling.Load, "SigmaScaling", "its metadata is not a JSON object");
        ((Action)(() => SigmaScaling.Load(Path.Combine(directory, "missing.json")))).Should().Throw<FileNotFoundException>();
        ((Action)(() => SigmaScaling.Load(" "))).Should().Throw<ArgumentException>();
    }
}
