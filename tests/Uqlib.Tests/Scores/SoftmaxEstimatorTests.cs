using System;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Models;
using Uqlib.Scores;
using Uqlib.Tests.Calibration;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Scores;

public sealed class SoftmaxEstimatorTests
{
    [Fact]
    public void Estimate_GivesProbabilitiesAndTheChosenScore()
    {
        var model = new DelegateModel(x => x.mul(2), OutputKind.MulticlassLogits);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.Entropy);
        using var inputs = torch.randn(6, 3, generator: torch.manual_seed(9), dtype: ScalarType.Float64);
        using var estimate = estimator.Estimate(inputs);

        using var logits = inputs.mul(2);
        using var expectedP = logits.softmax(1);
        using var expectedScores = SoftmaxScores.Entropy(expectedP);
        estimate.Probabilities.allclose(expectedP).Should().BeTrue();
        estimate.Scores.allclose(expectedScores).Should().BeTrue();
        estimate.Map.Should().BeNull();
        estimator.Name.Should().Be("Entropy");
        estimator.Requirements.Should().Be(Requirements.None);
    }

    [Fact]
    public void Estimate_OfSegmentation_GivesMapAndItsMean()
    {
        var model = new DelegateModel(x => x, OutputKind.MulticlassLogits);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.OneMinusMaxProbability);
        using var inputs = torch.randn(2, 3, 4, 4, generator: torch.manual_seed(2));
        using var estimate = estimator.Estimate(inputs);

        estimate.Map!.shape.Should().Equal(2, 4, 4);
        using var mean = estimate.Map.mean(new long[] { 1, 2 }).to(ScalarType.Float64);
        estimate.Map.dtype.Should().Be(ScalarType.Float32);
        estimate.Scores.allclose(mean).Should().BeTrue();
    }

    [Fact]
    public void Estimate_OfBinaryModel_DistanceToHardLabel()
    {
        var model = new DelegateModel(x => x, OutputKind.BinaryLogit);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.DistanceToHardLabel);
        using var inputs = torch.tensor(new double[] { 0, 20, -20 });
        using var estimate = estimator.Estimate(inputs);
        Golden.ToArray(estimate.Scores).Should().Equal(new[] { 0.5, 0, 0 }, (a, b) => Math.Abs(a - b) < 1e-8);
    }

    [Fact]
    public void Constructor_RefusesRegressionAndLogitScoresOfProbabilities()
    {
        var regression = new DelegateModel(x => x, OutputKind.Regression);
        var probabilities = new DelegateModel(x => x, OutputKind.Probabilities);
        ((Action)(() => new SoftmaxEstimator(regression))).Should().Throw<ArgumentException>().WithParameterName("model");
        ((Action)(() => new SoftmaxEstimator(probabilities, SoftmaxScore.Energy))).Should().Throw<ArgumentException>().WithParameterName("score");
        ((Action)(() => new SoftmaxEstimator(null!))).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Fit_WithTemperatureScaling_CalibratesLikeTheFunctionalCore()
    {
        var golden = CalibrationFixtures.Case(1);
        using var logits = CalibrationFixtures.Logits(golden);
        using var labels = CalibrationFixtures.Labels(golden);
        var model = new DelegateModel(x => x.alias(), OutputKind.MulticlassLogits);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.OneMinusMaxProbability, TemperatureScaling.Fit);
        estimator.Requirements.Should().Be(Requirements.LabelledValidationData);

        using var first = logits.slice(0, 0, 250, 1);
        using var second = logits.slice(0, 250, 600, 1);
        using var firstLabels = labels.slice(0, 0, 250, 1);
        using var secondLabels = labels.slice(0, 250, 600, 1);
        estimator.Fit(new FitData { Validation = new[] { new Batch(first, firstLabels), new Batch(second, secondLabels) } });

        var expected = TemperatureScaling.Fit(logits, labels);
        ((TemperatureScaling)estimator.Calibrator!).Temperature.Should().Be(expected.Temperature);
        estimator.Temperature.Should().Be(expected.Temperature);
        using var estimate = estimator.Estimate(logits);
        using var p = expected.Transform(logits);
        using var msp = SoftmaxScores.OneMinusMaxProbability(p);
        estimate.Probabilities.allclose(p, rtol: 0, atol: 1e-15).Should().BeTrue();
        estimate.Scores.allclose(msp, rtol: 0, atol: 1e-15).Should().BeTrue();
        estimator.Name.Should().Be("Calibrated OneMinusMaxProbability");
    }

    [Fact]
    public void Temperature_BeforeFitOrUncalibratedOrOtherCalibrator_IsNull()
    {
        var model = new DelegateModel(x => x.alias(), OutputKind.MulticlassLogits);
        new SoftmaxEstimator(model, SoftmaxScore.Entropy).Temperature.Should().BeNull();
        new SoftmaxEstimator(model, SoftmaxScore.Entropy, TemperatureScaling.Fit).Temperature.Should().BeNull();
        new SoftmaxEstimator(model, SoftmaxScore.Entropy, TemperatureScaling.WithTemperature(1.5, 3)).Temperature.Should().Be(1.5);
        using var logits = torch.tensor(new double[] { 2, 0, 0, 0, 1, 0, 0, 0, 3, 1, 0, 0 }, 4, 3);
        using var labels = torch.tensor(new long[] { 0, 1, 2, 1 });
        var vector = VectorScaling.Fit(logits, labels);
        new SoftmaxEstimator(model, SoftmaxScore.Entropy, vector).Temperature.Should().BeNull();
    }

    [Fact]
    public void Estimate_OfBinaryModel_CalibratedDistanceToHardLabel()
    {
        var golden = CalibrationFixtures.Case(3);
        using var z = CalibrationFixtures.Logits(golden);
        using var labels = CalibrationFixtures.Labels(golden);
        var model = new DelegateModel(x => x.alias(), OutputKind.BinaryLogit);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.DistanceToHardLabel, TemperatureScaling.Fit);
        estimator.Fit(new FitData { Validation = new[] { new Batch(z, labels) } });
        using var estimate = estimator.Estimate(z);

        var t = golden.GetProperty("temperature").GetDouble();
        using var p = z.div(t).sigmoid();
        using var expected = p.sub(0.5).abs_().neg_().add_(0.5);
        Golden.ToArray(estimate.Scores).Should().Equal(Golden.ToArray(expected), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void Estimate_OfSegmentation_CalibratesEveryPixel()
    {
        var model = new DelegateModel(x => x.mul(3), OutputKind.MulticlassLogits);
        using var inputs = torch.randn(2, 3, 4, 5, generator: torch.manual_seed(8), dtype: ScalarType.Float64);
        using var masks = torch.randint(0, 3, new long[] { 2, 4, 5 }, generator: torch.manual_seed(9));
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.Entropy, TemperatureScaling.Fit);
        estimator.Fit(new FitData { Validation = new[] { new Batch(inputs, masks) } });
        using var estimate = estimator.Estimate(inputs);

        var t = ((TemperatureScaling)estimator.Calibrator!).Temperature;
        using var expectedP = inputs.mul(3).div_(t).softmax(1);
        estimate.Probabilities.shape.Should().Equal(2, 3, 4, 5);
        estimate.Probabilities.allclose(expectedP, rtol: 0, atol: 1e-14).Should().BeTrue();
        estimate.Map!.shape.Should().Equal(2, 4, 5);
    }

    [Fact]
    public void Estimate_BeforeFit_ThrowsNamingFit()
    {
        var model = new DelegateModel(x => x.alias(), OutputKind.MulticlassLogits);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.OneMinusMaxProbability, TemperatureScaling.Fit);
        using var inputs = torch.zeros(2, 3);
        ((Action)(() => estimator.Estimate(inputs))).Should().Throw<InvalidOperationException>().WithMessage("*Fit(FitData)*");
    }

    [Fact]
    public void Fit_WithoutValidationOrLabels_ThrowsNamingTheNeed()
    {
        var model = new DelegateModel(x => x.alias(), OutputKind.MulticlassLogits);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.OneMinusMaxProbability, TemperatureScaling.Fit);
        using var inputs = torch.zeros(2, 3);
        using var wrongCount = torch.tensor(new long[] { 0, 1, 2 });
        ((Action)(() => estimator.Fit(FitData.None))).Should().Throw<ArgumentException>().WithMessage("*labelled validation data*");
        ((Action)(() => estimator.Fit(new FitData { Validation = new[] { new Batch(inputs) } }))).Should().Throw<ArgumentException>().WithMessage("*batch 0 has no labels*");
        ((Action)(() => estimator.Fit(new FitData { Validation = Array.Empty<Batch>() }))).Should().Throw<ArgumentException>().WithMessage("*no batches*");
        ((Action)(() => estimator.Fit(new FitData { Validation = new[] { new Batch(inputs, wrongCount) } }))).Should().Throw<ArgumentException>().WithMessage("*3 labels for 2*");
    }

    [Fact]
    public void Constructor_WithCalibrator_RefusesProbabilityModelsAndLogitScores()
    {
        var probabilities = new DelegateModel(x => x, OutputKind.Probabilities);
        var logits = new DelegateModel(x => x, OutputKind.MulticlassLogits);
        ((Action)(() => new SoftmaxEstimator(probabilities, SoftmaxScore.Entropy, TemperatureScaling.Fit))).Should().Throw<ArgumentException>().WithParameterName("model");
        ((Action)(() => new SoftmaxEstimator(logits, SoftmaxScore.Energy, TemperatureScaling.Fit))).Should().Throw<ArgumentException>().WithParameterName("score");
        ((Action)(() => new SoftmaxEstimator(logits, SoftmaxScore.Entropy, (ICalibrator)null!))).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Constructor_WithLoadedCalibrator_NeedsNoFit()
    {
        var path = Path.GetTempFileName();
        try
        {
            TemperatureScaling.WithTemperature(2.0, 3).Save(path);
            var estimator = new SoftmaxEstimator(new DelegateModel(x => x.alias(), OutputKind.MulticlassLogits), SoftmaxScore.OneMinusMaxProbability, TemperatureScaling.Load(path));
            estimator.Requirements.Should().Be(Requirements.None);
            using var inputs = torch.tensor(new[,] { { 2.0, 0.0, 0.0 } });
            using var estimate = estimator.Estimate(inputs);
            using var expected = torch.tensor(new[] { 1.0, 0.0, 0.0 }).softmax(0);
            Golden.ToArray(estimate.Probabilities).Should().Equal(Golden.ToArray(expected), (a, b) => Math.Abs(a - b) < 1e-15);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
