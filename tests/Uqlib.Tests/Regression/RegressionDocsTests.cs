using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using FluentAssertions;
using TorchSharp;
using Uqlib.Regression;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Regression;

/// <summary>Runs the examples of docs/regression.md; <see cref="Docs_ExamplesAreTheCodeOfTheseTests"/> proves each block is copied from here.</summary>
public sealed partial class RegressionDocsTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("uqlib-regression-docs-").FullName;

    public void Dispose()
    {
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void Example_MetricsOfAGaussianHead()
    {
        var (validationOutput, validationTargets, _, _) = OverconfidentModelOutputs();
        using (validationOutput)
        using (validationTargets)
        {
            // validationOutput: (N, 2) from a Gaussian head, column 0 the mean, column 1 the log-variance.
            using var validation = GaussianPrediction.FromOutput(validationOutput);
            double nll = RegressionMetrics.GaussianNll(validation.Mean, validation.Variance, validationTargets);
            double ence = RegressionMetrics.Ence(validation.Mean, validation.Variance, validationTargets, bins: 10);
            double area = RegressionMetrics.MiscalibrationArea(validation.Mean, validation.Variance, validationTargets);
            double[] coverage = RegressionMetrics.IntervalCoverage(validation.Mean, validation.Variance, validationTargets, new[] { 0.5, 0.9 });
            double sharpness = RegressionMetrics.Sharpness(validation.Variance);
            Console.WriteLine($"NLL {nll:F3}, ENCE {ence:F3}, miscalibration area {area:F3}, 90% coverage {coverage[1]:P0}, sharpness {sharpness:F3}");

            coverage[1].Should().BeLessThan(0.75, "the model predicts σ at half its true value");
            area.Should().BeGreaterThan(0.1);
            ence.Should().BeGreaterThan(0.3);
            nll.Should().BeGreaterThan(1.5);
            sharpness.Should().BeApproximately(0.5, 0.05);
        }
    }

    [Fact]
    public void Example_SigmaScaling()
    {
        var (validationOutput, validationTargets, testOutput, testTargets) = OverconfidentModelOutputs();
        using (validationOutput)
        using (validationTargets)
        using (testOutput)
        using (testTargets)
        {
            string path = Path.Combine(directory, "sigma-scaling.uqlib");

            using var validation = GaussianPrediction.FromOutput(validationOutput);
            var scaling = SigmaScaling.Fit(validation.Mean, validation.Variance, validationTargets);
            scaling.Save(path);

            using var test = GaussianPrediction.FromOutput(testOutput);
            using var calibrated = SigmaScaling.Load(path).Calibrate(test);
            double before = RegressionMetrics.MiscalibrationArea(test.Mean, test.Variance, testTargets);
            double after = RegressionMetrics.MiscalibrationArea(calibrated.Mean, calibrated.Variance, testTargets);
            Console.WriteLine($"s = {scaling.Scale:F2}; miscalibration area {before:F3} → {after:F3}");

            scaling.Scale.Should().BeApproximately(2.0, 0.1);
            after.Should().BeLessThan(0.03);
        }
    }

    [Fact]
    public void Example_SplitConformalIntervals()
    {
        var (calibrationOutput, calibrationTargets, testOutput, testTargets) = OverconfidentModelOutputs();
        using (calibrationOutput)
        using (calibrationTargets)
        using (testOutput)
        using (testTargets)
        {
            using var calibration = GaussianPrediction.FromOutput(calibrationOutput);
            using var test = GaussianPrediction.FromOutput(testOutput);

            // 90% intervals; the calibration set needs at least SplitConformal.MinimumCalibrationCount(0.1) = 9 samples.
            var absolute = SplitConformal.FitAbsolute(calibration.Mean, calibrationTargets, alpha: 0.1);
            var normalized = SplitConformal.FitNormalized(calibration.Mean, calibration.Variance, calibrationTargets, alpha: 0.1);

            using var fixedWidth = absolute.Predict(test.Mean);                    // μ ± q̂
            using var adaptive = normalized.Predict(test.Mean, test.Variance);     // μ ± q̂·σ
            Console.WriteLine($"coverage {fixedWidth.Coverage(testTargets):P1} (mean width {fixedWidth.MeanWidth():F2}), "
                + $"{adaptive.Coverage(testTargets):P1} (mean width {adaptive.MeanWidth():F2})");
            normalized.Save(Path.Combine(directory, "conformal.uqlib"));

            adaptive.Coverage(testTargets).Should().BeApproximately(0.9, 0.03);
            fixedWidth.Coverage(testTargets).Should().BeApproximately(0.9, 0.03);
            adaptive.MeanWidth().Should().BeLessThan(fixedWidth.MeanWidth());
        }
    }

    [Fact]
    public void Docs_ExamplesAreTheCodeOfTheseTests()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Uqlib.sln")))
        {
            root = Path.GetDirectoryName(root);
        }

        root.Should().NotBeNull("the tests run inside the repository");
        var docs = File.ReadAllText(Path.Combine(root!, "docs", "regression.md"));
        var source = Normalise(File.ReadAllText(Path.Combine(root!, "tests", "Uqlib.Tests", "Regression", "RegressionDocsTests.cs")));
        var blocks = CodeBlock().Matches(docs).Select(m => m.Groups[1].Value).ToArray();
        blocks.Should().HaveCountGreaterThanOrEqualTo(3);
        foreach (var block in blocks)
        {
            source.Should().Contain(Normalise(block), "every C# block of docs/regression.md must be copied from a test here");
        }
    }

    /// <summary>A Gaussian head that predicts σ at half the truth: 2 × 2000 samples of y = μ + 2σε, as (N, 2) outputs.</summary>
    private static (Tensor ValidationOutput, Tensor ValidationTargets, Tensor TestOutput, Tensor TestTargets) OverconfidentModelOutputs()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = torch.manual_seed(2026);
        var mean = torch.randn(4000, generator: generator, dtype: ScalarType.Float64).mul_(3);
        var logVariance = torch.rand(4000, generator: generator, dtype: ScalarType.Float64).mul_(2).sub_(2.5);
        var targets = torch.randn(4000, generator: generator, dtype: ScalarType.Float64).mul_(logVariance.mul(0.5).exp()).mul_(2).add_(mean);
        var output = torch.stack(new[] { mean, logVariance }, 1);
        return (output[..2000].MoveToOuterDisposeScope(), targets[..2000].MoveToOuterDisposeScope(),
            output[2000..].MoveToOuterDisposeScope(), targets[2000..].MoveToOuterDisposeScope());
    }

    private static string Normalise(string code)
    {
        return string.Join("\n", code.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0));
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
