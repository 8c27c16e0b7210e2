using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Calibration;
using Uqlib.Ensembles;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Uqlib.Tests.Augmentation;

public sealed class TestTimeAugmentationEstimatorTests
{
    /// <summary>A classifier that is not flip-invariant: logits are weighted sums of the pixels, one weight map per class.</summary>
    private static IModel Classifier(int classes = 3, int seed = 1)
    {
        var weights = torch.randn(new long[] { classes, 1 * 6 * 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(seed));
        return new DelegateModel(x => x.flatten(1).matmul(weights.t()), OutputKind.MulticlassLogits);
    }

    /// <summary>A segmentation model equivariant to every flip: convolutions with symmetric kernels and zero padding.</summary>
    private static IModel FlipEquivariantSegmenter(int spatial)
    {
        var kernel2d = torch.tensor(new double[] { 1, 2, 1, 2, 4, 2, 1, 2, 1 }).reshape(1, 1, 3, 3);
        var weights = torch.cat(new[] { kernel2d, kernel2d.neg(), kernel2d.mul(0.5) }, 0);
        if (spatial == 3)
        {
            weights = weights.unsqueeze(2).expand(3, 1, 3, 3, 3).mul(torch.tensor(new double[] { 1, 2, 1 }).reshape(1, 1, 3, 1, 1)).contiguous();
        }

        return new DelegateModel(
            x => spatial == 2 ? conv2d(x, weights, padding: new long[] { 1, 1 }) : conv3d(x, weights, padding: new long[] { 1, 1, 1 }),
            OutputKind.MulticlassLogits);
    }

    [Fact]
    public void Estimate_Classification_EqualsEnsembleScoresOverAugmentedCopies()
    {
        var model = Classifier();
        var policy = TtaPolicy.Of(Augmentations.Identity, Augmentations.Flip(), Augmentations.Gamma(0.7), Augmentations.GaussianNoise(0.05, 3));
        using var scope = torch.NewDisposeScope();
        var inputs = torch.rand(new long[] { 5, 1, 6, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(2));
        foreach (var score in Enum.GetValues<EnsembleScore>())
        {
            var estimator = new TestTimeAugmentationEstimator(model, policy, score);
            using var estimate = estimator.Estimate(inputs);
            var copies = policy.Augmentations.Select(a => model.Forward(a.Apply(inputs)).Logits.softmax(1)).ToArray();
            var stacked = torch.stack(copies);
            estimate.Scores.allclose(EnsembleScores.Compute(score, stacked), rtol: 0, atol: 1e-12).Should().BeTrue(score.ToString());
            estimate.Probabilities.allclose(stacked.mean(new long[] { 0 }), rtol: 0, atol: 1e-14).Should().BeTrue();
            estimate.Map.Should().BeNull();
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Estimate_FlipEquivariantSegmenter_WithFlips_HasZeroVariability(int spatial)
    {
        var model = FlipEquivariantSegmenter(spatial);
        using var scope = torch.NewDisposeScope();
        long[] shape = spatial == 2 ? new long[] { 2, 1, 9, 7 } : new long[] { 2, 1, 5, 6, 7 };
        var inputs = torch.randn(shape, dtype: ScalarType.Float64, generator: torch.manual_seed(3));
        var policy = TtaPolicy.Flips(spatial);
        foreach (var score in new[] { EnsembleScore.Variance, EnsembleScore.TotalVariance, EnsembleScore.MutualInformation, EnsembleScore.Disagreement })
        {
            using var estimate = new TestTimeAugmentationEstimator(model, policy, score).Estimate(inputs);
            estimate.Map!.shape.Should().Equal(new[] { shape[0] }.Concat(shape.Skip(2)).ToArray());
            estimate.Map.abs().max().ToDouble().Should().BeLessThan(1e-12, score.ToString());
            estimate.Probabilities.allclose(model.Forward(inputs).Logits.softmax(1), rtol: 0, atol: 1e-12).Should().BeTrue();
        }
    }

    [Fact]
    public void Estimate_SegmentationWithoutInversion_WouldDisagree_SoInversionIsWhatMakesItZero()
    {
        // The same model's outputs on a flipped image, not mapped back, differ from the plain ones: the test above is not vacuous.
        var model = FlipEquivariantSegmenter(2);
        using var scope = torch.NewDisposeScope();
        var inputs = torch.randn(new long[] { 1, 1, 9, 7 }, dtype: ScalarType.Float64, generator: torch.manual_seed(3));
        var plain = model.Forward(inputs).Logits;
        var flipped = model.Forward(Augmentations.Flip().Apply(inputs)).Logits;
        plain.sub(flipped).abs().max().ToDouble().Should().BeGreaterThan(0.1);
    }

    [Fact]
    public void Estimate_SegmentationWithNonSquareRot90_InvertsAndMatchesTheManualAverage()
    {
        var model = new DelegateModel(x => torch.cat(new[] { x, x.mul(x) }, 1), OutputKind.MulticlassLogits);
        using var scope = torch.NewDisposeScope();
        var inputs = torch.randn(new long[] { 2, 1, 4, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(8));
        var policy = TtaPolicy.Of(Augmentations.Identity, Augmentations.Rot90(1), Augmentations.Brightness(0.1));
        using var estimate = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.PredictiveEntropy).Estimate(inputs);
        var expected = torch.stack(policy.Augmentations.Select(a => a.Invert(model.Forward(a.Apply(inputs)).Logits.softmax(1))).ToArray()).mean(new long[] { 0 });
        estimate.Probabilities.allclose(expected, rtol: 0, atol: 1e-14).Should().BeTrue();
        estimate.Map!.shape.Should().Equal(2, 4, 6);
    }

    [Fact]
    public void Estimate_Chunked_EqualsOnePass_AndCallsTheModelPerChunk()
    {
        var calls = 0;
        var inner = Classifier();
        var model = new DelegateModel(x => { calls++; return inner.Forward(x).Logits.alias(); }, OutputKind.MulticlassLogits);
        var policy = TtaPolicy.Of(Augmentations.Identity, Augmentations.Flip(), Augmentations.Flip(0), Augmentations.Rot90(2), Augmentations.Contrast(0.8));
        using var scope = torch.NewDisposeScope();
        var inputs = torch.rand(new long[] { 4, 1, 6, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(2));
        using var whole = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.TotalVariance).Estimate(inputs);
        calls.Should().Be(1);
        calls = 0;
        using var chunked = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.TotalVariance, new TtaOptions { MaxAugmentedBatchSize = 8 }).Estimate(inputs);
        calls.Should().Be(3);
        chunked.Scores.allclose(whole.Scores, rtol: 0, atol: 1e-14).Should().BeTrue();
    }

    [Theory]
    [InlineData(2, 8, 8, 8)] // 1 KiB per copy: all 8 copies in one pass.
    [InlineData(300, 8, 8, 6)] // 150 KiB per copy: 6 copies (900 KiB) fit the 1 MiB budget, then 2.
    [InlineData(2_100, 8, 8, 1)] // 1.03 MiB per copy: one copy of the batch per pass, the batch the caller chose.
    public void Estimate_DefaultOptionsOnCpu_GroupsWholeCopiesWithinOneMiB(int count, int height, int width, int expectedCopiesPerPass)
    {
        var passes = new List<long>();
        var inner = new DelegateModel(x => x.flatten(1).sum(1, keepdim: true).mul(torch.tensor(new double[] { 1, -1 }, dtype: x.dtype)), OutputKind.MulticlassLogits);
        var model = new DelegateModel(x => { passes.Add(x.shape[0]); return inner.Forward(x).Logits.alias(); }, OutputKind.MulticlassLogits);
        var policy = TtaPolicy.Of(
            Augmentations.Identity, Augmentations.Flip(), Augmentations.Flip(0), Augmentations.Rot90(2),
            Augmentations.Contrast(0.8), Augmentations.Brightness(0.1), Augmentations.Gamma(0.9), Augmentations.Flip(-2));
        using var scope = torch.NewDisposeScope();
        var inputs = torch.rand(new long[] { count, 1, height, width }, dtype: ScalarType.Float64, generator: torch.manual_seed(3));
        using var automatic = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.MutualInformation).Estimate(inputs);
        var automaticPasses = passes.ToArray();
        passes.Clear();
        using var onePerPass = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.MutualInformation, new TtaOptions { MaxAugmentedBatchSize = 1 }).Estimate(inputs);

        var copyBytes = count * height * width * sizeof(double);
        automaticPasses.Length.Should().Be((8 + expectedCopiesPerPass - 1) / expectedCopiesPerPass);
        automaticPasses[0].Should().Be(expectedCopiesPerPass * count);
        automaticPasses.Sum().Should().Be(8L * count);
        automaticPasses.Should().OnlyContain(samples => samples % count == 0 && samples * height * width * sizeof(double) <= Math.Max(copyBytes, 1 << 20));
        passes.Should().Equal(Enumerable.Repeat((long)count, 8));
        automatic.Scores.allclose(onePerPass.Scores, rtol: 1e-12, atol: 1e-12).Should().BeTrue();
    }

    [Fact]
    public void Estimate_Regression_ReportsVarianceAcrossAugmentations()
    {
        var model = new DelegateModel(x => x.mean(new long[] { 1, 2, 3 }), OutputKind.Regression);
        using var inputs = torch.tensor(new double[] { 0, 1, 2, 3 }).reshape(1, 1, 2, 2);
        // Brightness(±0.25) of range 3 shifts every pixel by ±0.75: predictions 1.5 − 0.75, 1.5, 1.5 + 0.75; population variance 0.375.
        var policy = TtaPolicy.Of(Augmentations.Brightness(-0.25), Augmentations.Identity, Augmentations.Brightness(0.25));
        using var estimate = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.Variance).Estimate(inputs);
        estimate.Probabilities.ToDouble().Should().BeApproximately(1.5, 1e-14);
        estimate.Scores.ToDouble().Should().BeApproximately(0.375, 1e-14);
    }

    [Fact]
    public void Estimate_ClassificationWithShapeChangingAugmentation_Throws()
    {
        var model = new DelegateModel(x => x.flatten(1).narrow(1, 0, 3), OutputKind.MulticlassLogits);
        using var inputs = torch.randn(2, 1, 4, 6);
        var estimator = new TestTimeAugmentationEstimator(model, TtaPolicy.Of(Augmentations.Identity, Augmentations.Rot90(1)));
        var act = () => estimator.Estimate(inputs);
        act.Should().Throw<ArgumentException>().WithParameterName("inputs").WithMessage("*Rot90*changes the input shape from (2, 1, 4, 6) to (2, 1, 6, 4)*");
    }

    [Fact]
    public void ConstructorAndEstimate_BadArguments_Throw()
    {
        var model = Classifier();
        var policy = TtaPolicy.Flips();
        ((Action)(() => new TestTimeAugmentationEstimator(null!, policy))).Should().Throw<ArgumentNullException>().WithParameterName("model");
        ((Action)(() => new TestTimeAugmentationEstimator(model, null!))).Should().Throw<ArgumentNullException>().WithParameterName("policy");
        ((Action)(() => new TestTimeAugmentationEstimator(model, policy, options: new TtaOptions { MaxAugmentedBatchSize = 0 })))
            .Should().Throw<ArgumentException>().WithMessage("*MaxAugmentedBatchSize must be in [1, 1048576]*");
        ((Action)(() => new TestTimeAugmentationEstimator(new DelegateModel(x => x, OutputKind.Regression), policy, EnsembleScore.MutualInformation)))
            .Should().Throw<ArgumentException>().WithParameterName("score");
        var estimator = new TestTimeAugmentationEstimator(model, policy);
        using var flat = torch.randn(3, 36);
        using var empty = torch.zeros(0, 1, 6, 6);
        using var nan = torch.full(new long[] { 2, 1, 6, 6 }, double.NaN, dtype: ScalarType.Float64);
        ((Action)(() => estimator.Estimate(flat))).Should().Throw<ArgumentException>().WithParameterName("inputs").WithMessage("*rank 4 to 5*");
        ((Action)(() => estimator.Estimate(empty))).Should().Throw<ArgumentException>().WithMessage("*empty*");
        ((Action)(() => estimator.Estimate(nan))).Should().Throw<ArgumentException>().WithMessage("*NaN*");
        ((Action)(() => estimator.Estimate(null!))).Should().Throw<ArgumentNullException>();
        estimator.Name.Should().Be("TTA MutualInformation");
        estimator.Requirements.Should().Be(Requirements.None);
    }

    [Fact]
    public void Estimate_LeaksNoTensor_AndLeavesInputAlive()
    {
        var model = FlipEquivariantSegmenter(2);
        var estimator = new TestTimeAugmentationEstimator(model, TtaPolicy.Of(Augmentations.Identity, Augmentations.Rotate(5), Augmentations.GaussianBlur(1)), EnsembleScore.ExpectedPairwiseKL,
            new TtaOptions { MaxAugmentedBatchSize = 2 });
        using var inputs = torch.randn(new long[] { 2, 1, 8, 8 }, dtype: ScalarType.Float64, generator: torch.manual_seed(1));
        estimator.Estimate(inputs).Dispose();
        var before = LiveTensors.Count;
        estimator.Estimate(inputs).Dispose();
        LiveTensors.Count.Should().Be(before);
        inputs.IsInvalid.Should().BeFalse();
    }

    private static readonly TtaPolicy CalibrationPolicy =
        TtaPolicy.Of(Augmentations.Identity, Augmentations.Flip(), Augmentations.Rot90(1), Augmentations.GaussianNoise(0.05, 3));

    /// <summary>Images with labels drawn from softmax(0.3 · the classifier's logits), so the classifier (and its TTA average) is over-confident.</summary>
    private static (Tensor Inputs, Tensor Labels) LabelledImages(IModel model, int count, int seed)
    {
        var inputs = torch.rand(new long[] { count, 1, 6, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(seed));
        var labels = torch.multinomial(model.Forward(inputs).Logits.mul(0.3).softmax(1), 1, generator: torch.manual_seed(seed + 1000)).squeeze(1);
        return (inputs, labels);
    }

    /// <summary>The plain average of the copies' probabilities, computed here without the estimator.</summary>
    private static Tensor AveragedCopies(IModel model, TtaPolicy policy, Tensor inputs)
    {
        return torch.stack(policy.Augmentations.Select(a => ProbabilityConversion.ToProbabilities(model.Forward(a.Apply(inputs)).Logits, model.OutputKind)).ToArray())
            .mean(new long[] { 0 });
    }

    [Fact]
    public void Fit_TemperatureScaling_FitsOneTemperatureOnTheLogOfTheAveragedPrediction()
    {
        var model = Classifier(4, 5);
        using var scope = torch.NewDisposeScope();
        var (x1, y1) = LabelledImages(model, 150, 1);
        var (x2, y2) = LabelledImages(model, 100, 2);
        var estimator = new TestTimeAugmentationEstimator(model, CalibrationPolicy, EnsembleScore.MutualInformation, TemperatureScaling.Fit);
        estimator.Requirements.Should().Be(Requirements.LabelledValidationData);
        estimator.Name.Should().Be("Calibrated TTA MutualInformation");
        estimator.Calibrator.Should().BeNull();

        estimator.Fit(new FitData { Validation = new[] { new Batch(x1, y1), new Batch(x2, y2) } });

        // Batch by batch: the noise augmentation redraws from its seed at every call.
        var logMean = torch.cat(new[] { AveragedCopies(model, CalibrationPolicy, x1), AveragedCopies(model, CalibrationPolicy, x2) }, 0).log();
        var expected = TemperatureScaling.Fit(logMean, torch.cat(new[] { y1, y2 }, 0)).Temperature;
        var temperature = ((TemperatureScaling)estimator.Calibrator!).Temperature;
        temperature.Should().BeApproximately(expected, 1e-12);
        temperature.Should().BeGreaterThan(1.5, "labels drawn at a third of the logits' scale make the averaged prediction over-confident");
    }

    [Fact]
    public void Estimate_Calibrated_IsSoftmaxOfLogMeanOverT_KeepsTheArgmax_AndTheSpreadScores()
    {
        var model = Classifier(4, 5);
        using var scope = torch.NewDisposeScope();
        var (x, y) = LabelledImages(model, 200, 3);
        var test = torch.rand(new long[] { 7, 1, 6, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(4));
        foreach (var score in Enum.GetValues<EnsembleScore>())
        {
            var estimator = new TestTimeAugmentationEstimator(model, CalibrationPolicy, score, TemperatureScaling.Fit, new TtaOptions { MaxAugmentedBatchSize = 14 });
            estimator.Fit(new FitData { Validation = new[] { new Batch(x, y) } });
            var temperature = ((TemperatureScaling)estimator.Calibrator!).Temperature;
            using var calibrated = estimator.Estimate(test);
            using var plain = new TestTimeAugmentationEstimator(model, CalibrationPolicy, score).Estimate(test);

            var expected = AveragedCopies(model, CalibrationPolicy, test).log().div(temperature).softmax(1);
            calibrated.Probabilities.allclose(expected, rtol: 0, atol: 1e-14).Should().BeTrue(score.ToString());
            calibrated.Probabilities.argmax(1).allclose(plain.Probabilities.argmax(1), rtol: 0, atol: 0).Should().BeTrue(score.ToString());
            var expectedScores = score == EnsembleScore.PredictiveEntropy ? expected.xlogy(expected).sum(1).neg() : plain.Scores;
            calibrated.Scores.allclose(expectedScores, rtol: 0, atol: 1e-14).Should().BeTrue(score.ToString());
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Fit_TemperatureScaling_DoesNotIncreaseValidationNll(int seed)
    {
        var model = Classifier(3, seed);
        using var scope = torch.NewDisposeScope();
        var (x, y) = LabelledImages(model, 200, seed);
        var estimator = new TestTimeAugmentationEstimator(model, CalibrationPolicy, EnsembleScore.PredictiveEntropy, TemperatureScaling.Fit);
        estimator.Fit(new FitData { Validation = new[] { new Batch(x, y) } });
        using var calibrated = estimator.Estimate(x);
        using var plain = new TestTimeAugmentationEstimator(model, CalibrationPolicy, EnsembleScore.PredictiveEntropy).Estimate(x);
        CalibrationMetrics.NegativeLogLikelihood(calibrated.Probabilities, y)
            .Should().BeLessThanOrEqualTo(CalibrationMetrics.NegativeLogLikelihood(plain.Probabilities, y) + 1e-12);
    }

    [Fact]
    public void Estimate_FittedCalibrator_EqualsFitting_AndNeedsNoFit()
    {
        var model = Classifier(4, 5);
        using var scope = torch.NewDisposeScope();
        var (x, y) = LabelledImages(model, 120, 8);
        var fitting = new TestTimeAugmentationEstimator(model, CalibrationPolicy, EnsembleScore.Variance, TemperatureScaling.Fit);
        fitting.Fit(new FitData { Validation = new[] { new Batch(x, y) } });
        var given = new TestTimeAugmentationEstimator(model, CalibrationPolicy, EnsembleScore.Variance, fitting.Calibrator!);
        given.Requirements.Should().Be(Requirements.None);
        given.Name.Should().Be("Calibrated TTA Variance");
        given.Fit(FitData.None);
        using var a = fitting.Estimate(x);
        using var b = given.Estimate(x);
        b.Probabilities.allclose(a.Probabilities, rtol: 0, atol: 0).Should().BeTrue();
        b.Scores.allclose(a.Scores, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Estimate_CalibratedProbabilityModelAndSegmenter_Work()
    {
        using var scope = torch.NewDisposeScope();
        var classifier = Classifier(3, 2);
        var probabilityModel = new DelegateModel(x => classifier.Forward(x).Logits.softmax(1), OutputKind.Probabilities);
        var (x, y) = LabelledImages(classifier, 100, 9);
        var fromProbabilities = new TestTimeAugmentationEstimator(probabilityModel, CalibrationPolicy, EnsembleScore.PredictiveEntropy, TemperatureScaling.Fit);
        var fromLogits = new TestTimeAugmentationEstimator(classifier, CalibrationPolicy, EnsembleScore.PredictiveEntropy, TemperatureScaling.Fit);
        fromProbabilities.Fit(new FitData { Validation = new[] { new Batch(x, y) } });
        fromLogits.Fit(new FitData { Validation = new[] { new Batch(x, y) } });
        ((TemperatureScaling)fromProbabilities.Calibrator!).Temperature.Should().BeApproximately(((TemperatureScaling)fromLogits.Calibrator!).Temperature, 1e-9);

        var segmenter = FlipEquivariantSegmenter(2);
        var images = torch.randn(new long[] { 2, 1, 8, 8 }, dtype: ScalarType.Float64, generator: torch.manual_seed(10));
        var masks = torch.multinomial(segmenter.Forward(images).Logits.mul(0.5).softmax(1).permute(0, 2, 3, 1).reshape(-1, 3), 1, generator: torch.manual_seed(11))
            .reshape(2, 8, 8);
        var tta = new TestTimeAugmentationEstimator(segmenter, TtaPolicy.Flips(2), EnsembleScore.PredictiveEntropy, TemperatureScaling.Fit);
        tta.Fit(new FitData { Validation = new[] { new Batch(images, masks) } });
        using var estimate = tta.Estimate(images);
        var temperature = ((TemperatureScaling)tta.Calibrator!).Temperature;
        // Flip-equivariant: the average is the plain prediction, so the calibrated map is softmax(z / T) pixel by pixel.
        var expected = segmenter.Forward(images).Logits.div(temperature).softmax(1);
        estimate.Probabilities.allclose(expected, rtol: 0, atol: 1e-12).Should().BeTrue();
        estimate.Map!.allclose(expected.xlogy(expected).sum(1).neg(), rtol: 0, atol: 1e-12).Should().BeTrue();
        temperature.Should().Be(TemperatureScaling.Fit(segmenter.Forward(images).Logits.softmax(1).log().permute(0, 2, 3, 1).reshape(-1, 3), masks.flatten()).Temperature);
    }

    [Fact]
    public void Calibrated_BadArgumentsOrNoFit_Throw()
    {
        var model = Classifier();
        var policy = TtaPolicy.Flips();
        var regression = new DelegateModel(x => x.mean(new long[] { 1, 2, 3 }), OutputKind.Regression);
        ((Action)(() => new TestTimeAugmentationEstimator(regression, policy, EnsembleScore.Variance, TemperatureScaling.Fit)))
            .Should().Throw<ArgumentException>().WithParameterName("model").WithMessage("*Regression*");
        ((Action)(() => new TestTimeAugmentationEstimator(regression, policy, EnsembleScore.Variance, TemperatureScaling.WithTemperature(2, 3))))
            .Should().Throw<ArgumentException>().WithParameterName("model");
        ((Action)(() => new TestTimeAugmentationEstimator(model, policy, EnsembleScore.Variance, (Func<Tensor, Tensor, ICalibrator>)null!)))
            .Should().Throw<ArgumentNullException>().WithParameterName("calibration");
        ((Action)(() => new TestTimeAugmentationEstimator(model, policy, EnsembleScore.Variance, (ICalibrator)null!)))
            .Should().Throw<ArgumentNullException>().WithParameterName("calibrator");

        var estimator = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.MutualInformation, TemperatureScaling.Fit);
        using var inputs = torch.rand(new long[] { 3, 1, 6, 6 }, dtype: ScalarType.Float64, generator: torch.manual_seed(1));
        using var labels = torch.tensor(new long[] { 0, 1 });
        using var outOfRange = torch.tensor(new long[] { 0, 1, 7 });
        using var flat = torch.rand(3, 36, dtype: ScalarType.Float64);
        ((Action)(() => estimator.Estimate(inputs))).Should().Throw<InvalidOperationException>().WithMessage("*Fit(FitData)*before Estimate*");
        ((Action)(() => estimator.Fit(FitData.None))).Should().Throw<ArgumentException>().WithParameterName("data").WithMessage("*TestTimeAugmentationEstimator needs labelled validation data*");
        ((Action)(() => estimator.Fit(new FitData { Validation = Array.Empty<Batch>() }))).Should().Throw<ArgumentException>().WithMessage("*no batches*");
        ((Action)(() => estimator.Fit(new FitData { Validation = new[] { new Batch(inputs) } }))).Should().Throw<ArgumentException>().WithMessage("*batch 0 has no labels*");
        ((Action)(() => estimator.Fit(new FitData { Validation = new[] { new Batch(inputs, labels) } }))).Should().Throw<ArgumentException>().WithMessage("*2 labels for 3 predictions*");
        ((Action)(() => estimator.Fit(new FitData { Validation = new[] { new Batch(inputs, outOfRange) } }))).Should().Throw<ArgumentException>().WithParameterName("labels");
        ((Action)(() => estimator.Fit(new FitData { Validation = new[] { new Batch(flat, labels) } }))).Should().Throw<ArgumentException>().WithParameterName("data").WithMessage("*rank 4 to 5*");
        ((Action)(() => estimator.Fit(null!))).Should().Throw<ArgumentNullException>();
        estimator.Calibrator.Should().BeNull();
    }

    [Fact]
    public void Estimate_Calibrated_LeaksNoTensor()
    {
        var model = Classifier();
        using var scope = torch.NewDisposeScope();
        var (x, y) = LabelledImages(model, 20, 12);
        var estimator = new TestTimeAugmentationEstimator(model, CalibrationPolicy, EnsembleScore.PredictiveEntropy, TemperatureScaling.Fit);
        estimator.Fit(new FitData { Validation = new[] { new Batch(x, y) } });
        estimator.Estimate(x).Dispose();
        var before = LiveTensors.Count;
        estimator.Estimate(x).Dispose();
        estimator.Fit(new FitData { Validation = new[] { new Batch(x, y) } });
        LiveTensors.Count.Should().Be(before);
        x.IsInvalid.Should().BeFalse();
    }

    [Fact]
    public void DocsExample_Runs()
    {
        var model = FlipEquivariantSegmenter(2);
        using var batch = torch.randn(new long[] { 2, 1, 8, 8 }, dtype: ScalarType.Float64);

        // docs/ensembles-and-tta.md
        var policy = TtaPolicy.Of(Augmentations.Identity, Augmentations.Flip(-1), Augmentations.Flip(0), Augmentations.Rotate(10));
        var tta = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.MutualInformation,
                                                    new TtaOptions { MaxAugmentedBatchSize = 4096 });
        using var estimate = tta.Estimate(batch);

        estimate.Map!.shape.Should().Equal(2, 8, 8);
        estimate.Scores.shape.Should().Equal(2);
    }

    [Fact]
    public void DocsExample_Calibrated_Runs()
    {
        var model = Classifier();
        var policy = TtaPolicy.Of(Augmentations.Identity, Augmentations.Flip(-1), Augmentations.Flip(0), Augmentations.Rotate(10));
        using var scope = torch.NewDisposeScope();
        var (x, y) = LabelledImages(model, 60, 14);
        var validationBatches = new[] { new Batch(x, y) };
        var batch = torch.rand(new long[] { 3, 1, 6, 6 }, dtype: ScalarType.Float64);

        // docs/ensembles-and-tta.md
        var calibratedTta = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.PredictiveEntropy, TemperatureScaling.Fit);
        calibratedTta.Fit(new FitData { Validation = validationBatches });
        using var calibratedTtaEstimate = calibratedTta.Estimate(batch);
        var temperature = ((TemperatureScaling)calibratedTta.Calibrator!).Temperature;

        temperature.Should().BeGreaterThan(0);
        calibratedTtaEstimate.Scores.shape.Should().Equal(3);
    }

    /// <summary>A pointwise segmenter: each pixel's logits depend on that pixel's intensity only, so it is uncertain exactly where x = 0.5.</summary>
    private static IModel PointwiseSegmenter(OutputKind kind, Action<Tensor>? onForward = null)
    {
        return new DelegateModel(
            x =>
            {
                onForward?.Invoke(x);
                var z = x.sub(0.5).mul(20);
                return kind == OutputKind.BinaryLogit ? z : torch.cat(new[] { z, torch.zeros_like(z), z.neg() }, 1);
            },
            kind);
    }

    /// <summary>Intensities far from 0.5 except one planted voxel per image, at an asymmetric place, where they are exactly 0.5.</summary>
    private static Tensor PlantedInputs(long[] shape, long[][] planted)
    {
        var generator = torch.manual_seed(21);
        var far = torch.rand(shape, dtype: ScalarType.Float64, generator: generator).mul_(0.3);
        var high = torch.rand(shape, dtype: ScalarType.Float64, generator: generator).gt(0.5);
        var inputs = torch.where(high, far.add(0.7), far);
        for (var i = 0; i < planted.Length; i++)
        {
            var index = new[] { TensorIndex.Single(i), TensorIndex.Single(0) }.Concat(planted[i].Select(v => TensorIndex.Single(v))).ToArray();
            inputs.index_put_(torch.tensor(0.5, dtype: ScalarType.Float64), index);
        }

        return inputs;
    }

    [Theory]
    [InlineData(OutputKind.BinaryLogit, 3)]
    [InlineData(OutputKind.MulticlassLogits, 3)]
    [InlineData(OutputKind.BinaryLogit, 2)]
    [InlineData(OutputKind.MulticlassLogits, 2)]
    public void Estimate_PointwiseSegmenter_InvertedMapsAreAlignedToThePixel(OutputKind kind, int spatial)
    {
        using var scope = torch.NewDisposeScope();
        var model = PointwiseSegmenter(kind);
        long[] shape = spatial == 3 ? new long[] { 2, 1, 6, 8, 8 } : new long[] { 2, 1, 7, 9 };
        var planted = spatial == 3 ? new[] { new long[] { 1, 2, 5 }, new long[] { 4, 0, 3 } } : new[] { new long[] { 1, 6 }, new long[] { 5, 2 } };
        var inputs = PlantedInputs(shape, planted);
        // Flips on every axis, rot90 (non-square in 2-D, so the shape changes and is mapped back), and a composition.
        var policy = spatial == 3
            ? TtaPolicy.Of(Augmentations.Identity, Augmentations.Flip(0), Augmentations.Flip(1), Augmentations.Flip(2), Augmentations.Rot90(1),
                Augmentations.Rot90(2, 0, -1), Augmentations.Compose(Augmentations.Flip(0), Augmentations.Rot90(3)))
            : TtaPolicy.Of(Augmentations.Identity, Augmentations.Flip(0), Augmentations.Flip(1), Augmentations.Rot90(1), Augmentations.Rot90(3),
                Augmentations.Compose(Augmentations.Flip(1), Augmentations.Rot90(1)));
        var plain = model.Forward(inputs).Logits;

        using var entropy = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.PredictiveEntropy).Estimate(inputs);
        using var mutual = new TestTimeAugmentationEstimator(model, policy, EnsembleScore.MutualInformation).Estimate(inputs);

        entropy.Probabilities.allclose(ProbabilityConversion.ToProbabilities(plain, kind), rtol: 0, atol: 1e-12).Should().BeTrue();
        entropy.Map!.allclose(Uqlib.Segmentation.SegmentationScores.EntropyMap(plain, kind), rtol: 0, atol: 1e-12).Should().BeTrue(
            "every inverted copy puts each voxel's prediction back on that voxel");
        mutual.Map!.abs().max().ToDouble().Should().BeLessThan(1e-12, "the inverted copies agree voxel by voxel");
        for (var i = 0; i < planted.Length; i++)
        {
            var flat = entropy.Map[i].flatten().argmax().item<long>();
            var expected = 0L;
            for (var d = 0; d < planted[i].Length; d++)
            {
                expected = (expected * shape[2 + d]) + planted[i][d];
            }

            flat.Should().Be(expected, "the most uncertain voxel of the TTA map is the planted one");
        }

        // Not vacuous: averaged without inversion, the copies put the uncertain voxel in several places.
        var uninverted = policy.Augmentations.Where(a => a.Apply(inputs).shape.SequenceEqual(inputs.shape))
            .Select(a => ProbabilityConversion.ToProbabilities(model.Forward(a.Apply(inputs)).Logits, kind)).ToArray();
        var wrong = EnsembleScores.PredictiveEntropy(torch.stack(uninverted));
        wrong.sub(entropy.Map).abs().max().ToDouble().Should().BeGreaterThan(0.1);
    }

    [Fact]
    public void Estimate_VolumesWith8Augmentations_OneAugmentationPerPass_StreamsWithRunningSums()
    {
        // 3-D volumes, 8 augmentations. With MaxAugmentedBatchSize = 1 each forward pass sees one augmented copy of the batch, and the
        // number of live tensors when the model runs is the same at the 2nd and at the 8th pass: nothing piles up per augmentation
        // (the first pass runs before the running sums exist). The peak does not grow with the number of augmentations either.
        using var inputs = PlantedInputs(new long[] { 3, 1, 6, 8, 8 }, new[] { new long[] { 1, 2, 3 }, new long[] { 2, 3, 4 }, new long[] { 5, 7, 0 } });
        var all = new[]
        {
            Augmentations.Identity, Augmentations.Flip(0), Augmentations.Flip(1), Augmentations.Flip(2), Augmentations.Rot90(1), Augmentations.Rot90(2),
            Augmentations.Rot90(3), Augmentations.Compose(Augmentations.Flip(0), Augmentations.Rot90(1)),
        };
        (List<long> Live, List<long> Batch) Run(int augmentations, TtaOptions options)
        {
            var live = new List<long>();
            var batch = new List<long>();
            var model = PointwiseSegmenter(OutputKind.BinaryLogit, x =>
            {
                live.Add(LiveTensors.Count);
                batch.Add(x.shape[0]);
            });
            var estimator = new TestTimeAugmentationEstimator(model, TtaPolicy.Of(all.Take(augmentations).ToArray()), EnsembleScore.MutualInformation, options);
            var before = LiveTensors.Count;
            using (var estimate = estimator.Estimate(inputs))
            {
                estimate.Map!.shape.Should().Equal(3, 6, 8, 8);
            }

            LiveTensors.Count.Should().Be(before, "nothing leaks");
            return (live, batch);
        }

        var streamed = Run(8, new TtaOptions { MaxAugmentedBatchSize = 1 });
        streamed.Batch.Should().Equal(Enumerable.Repeat(3L, 8), "one augmented copy of the 3 volumes per forward pass");
        streamed.Live.Skip(1).Distinct().Should().ContainSingle("the live tensors at each pass do not grow with the augmentations done");
        var two = Run(2, new TtaOptions { MaxAugmentedBatchSize = 1 });
        two.Live.Max().Should().Be(streamed.Live.Max(), "8 augmentations peak where 2 do");

        var onePass = Run(8, TtaOptions.Default);
        onePass.Batch.Should().Equal(new[] { 24L }, "by default every copy goes in one pass (fast on a GPU, memory × 8)");
    }
}
