using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Ensembles;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Ensembles;

public sealed class DeepEnsembleEstimatorTests
{
    private static IModel[] ScaledMembers(OutputKind kind, params double[] scales)
    {
        var models = new IModel[scales.Length];
        for (var i = 0; i < scales.Length; i++)
        {
            var scale = scales[i];
            models[i] = new DelegateModel(x => x.mul(scale), kind);
        }

        return models;
    }

    [Fact]
    public void Estimate_Classification_AveragesProbabilitiesAndMatchesEnsembleScores()
    {
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 0.5, 1, 2, -1, 3), EnsembleScore.MutualInformation);
        using var scope = torch.NewDisposeScope();
        var inputs = torch.randn(7, 4, dtype: ScalarType.Float64, generator: torch.manual_seed(5));
        using var estimate = estimator.Estimate(inputs);

        var stacked = torch.stack(new[] { 0.5, 1, 2, -1, 3 }.Select(s => inputs.mul(s).softmax(1)).ToArray());
        estimate.Probabilities.allclose(stacked.mean(new long[] { 0 }), rtol: 0, atol: 1e-14).Should().BeTrue();
        estimate.Scores.allclose(EnsembleScores.MutualInformation(stacked), rtol: 0, atol: 1e-14).Should().BeTrue();
        estimate.Map.Should().BeNull();
        estimator.Name.Should().Be("Ensemble MutualInformation");
        estimator.Requirements.Should().Be(Requirements.SeveralModels);
        estimator.MemberCount.Should().Be(5);
    }

    [Fact]
    public void Estimate_Segmentation_GivesPerPixelMapAndItsMean()
    {
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1, 2, 4), EnsembleScore.Disagreement);
        using var scope = torch.NewDisposeScope();
        var inputs = torch.randn(2, 3, 5, 6, generator: torch.manual_seed(2));
        using var estimate = estimator.Estimate(inputs);
        estimate.Map!.shape.Should().Equal(2, 5, 6);
        estimate.Scores.dtype.Should().Be(ScalarType.Float64);
        estimate.Scores.allclose(estimate.Map.mean(new long[] { 1, 2 }).to(ScalarType.Float64)).Should().BeTrue();
        var stacked = torch.stack(new[] { inputs.softmax(1), inputs.mul(2).softmax(1), inputs.mul(4).softmax(1) });
        estimate.Map.allclose(EnsembleScores.Disagreement(stacked), rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Estimate_BinaryLogit_VarianceIsTheSquaredStdOfP()
    {
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.BinaryLogit, 1, 2, 3), EnsembleScore.Variance);
        using var scope = torch.NewDisposeScope();
        var inputs = torch.randn(9, dtype: ScalarType.Float64, generator: torch.manual_seed(4));
        using var estimate = estimator.Estimate(inputs);
        var p = torch.stack(new[] { inputs.sigmoid(), inputs.mul(2).sigmoid(), inputs.mul(3).sigmoid() });
        estimate.Scores.allclose(EnsembleScores.BinaryStandardDeviation(p).square(), rtol: 0, atol: 1e-15).Should().BeTrue();
        estimate.Probabilities.shape.Should().Equal(9, 2);
    }

    [Fact]
    public void Estimate_Regression_ReportsVarianceOfMembersPredictions()
    {
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.Regression, 1, 2, 6), EnsembleScore.Variance);
        using var inputs = torch.tensor(new double[] { 1, -3, 0 });
        using var estimate = estimator.Estimate(inputs);
        // predictions (1, 2, 6)·x: mean 3x, population variance ((−2)² + (−1)² + 3²)/3 · x² = 14/3 · x².
        Golden.ToArray(estimate.Probabilities).Should().Equal(new[] { 3.0, -9, 0 }, (a, b) => Math.Abs(a - b) < 1e-12);
        Golden.ToArray(estimate.Scores).Should().Equal(new[] { 14.0 / 3, 42, 0 }, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void EstimateFromOutputs_EqualsEstimateOnModels()
    {
        using var scope = torch.NewDisposeScope();
        var inputs = torch.randn(6, 5, generator: torch.manual_seed(8));
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1, -2, 3), EnsembleScore.ExpectedPairwiseKL);
        using var fromModels = estimator.Estimate(inputs);
        using var fromOutputs = DeepEnsembleEstimator.EstimateFromOutputs(
            torch.stack(new[] { inputs, inputs.mul(-2), inputs.mul(3) }), OutputKind.MulticlassLogits, EnsembleScore.ExpectedPairwiseKL);
        fromOutputs.Scores.allclose(fromModels.Scores, rtol: 0, atol: 0).Should().BeTrue();
        fromOutputs.Probabilities.allclose(fromModels.Probabilities, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Constructor_EnsembleOfOne_Throws()
    {
        var act = () => new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1));
        act.Should().Throw<ArgumentException>().WithParameterName("members").WithMessage("*at least 2*found 1*");
    }

    [Fact]
    public void Constructor_BadMembersOrScore_Throw()
    {
        var mixed = new IModel[] { new DelegateModel(x => x, OutputKind.MulticlassLogits), new DelegateModel(x => x, OutputKind.BinaryLogit) };
        ((Action)(() => new DeepEnsembleEstimator(mixed))).Should().Throw<ArgumentException>().WithMessage("*output kind*");
        ((Action)(() => new DeepEnsembleEstimator(new IModel[] { mixed[0], null! }))).Should().Throw<ArgumentNullException>();
        ((Action)(() => new DeepEnsembleEstimator(null!))).Should().Throw<ArgumentNullException>();
        ((Action)(() => new DeepEnsembleEstimator(ScaledMembers(OutputKind.Regression, 1, 2), EnsembleScore.MutualInformation)))
            .Should().Throw<ArgumentException>().WithParameterName("score");
        ((Action)(() => new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1, 2), (EnsembleScore)42)))
            .Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Estimate_MembersWithDifferentOutputShapes_Throws()
    {
        var members = new IModel[]
        {
            new DelegateModel(x => x, OutputKind.MulticlassLogits),
            new DelegateModel(x => torch.cat(new[] { x, x }, 1), OutputKind.MulticlassLogits),
        };
        var estimator = new DeepEnsembleEstimator(members);
        using var inputs = torch.randn(4, 3);
        var act = () => estimator.Estimate(inputs);
        act.Should().Throw<InvalidOperationException>().WithMessage("*members[1] gave (4, 6) but members[0] gave (4, 3)*");
    }

    [Fact]
    public void Estimate_MemberReturningNaN_ThrowsNamingTheOutput()
    {
        var members = new IModel[]
        {
            new DelegateModel(x => x, OutputKind.MulticlassLogits),
            new DelegateModel(x => x.mul(double.NaN), OutputKind.MulticlassLogits),
        };
        var estimator = new DeepEnsembleEstimator(members);
        using var inputs = torch.randn(4, 3);
        var act = () => estimator.Estimate(inputs);
        act.Should().Throw<ArgumentException>().WithMessage("*NaN*");
    }

    [Fact]
    public void EstimateFromOutputs_BadInput_Throws()
    {
        using var one = torch.randn(1, 4, 3);
        using var nan = torch.full(new long[] { 2, 4, 3 }, double.NaN);
        using var empty = torch.zeros(2, 0, 3);
        ((Action)(() => DeepEnsembleEstimator.EstimateFromOutputs(one, OutputKind.MulticlassLogits))).Should().Throw<ArgumentException>().WithMessage("*at least 2 members*");
        ((Action)(() => DeepEnsembleEstimator.EstimateFromOutputs(nan, OutputKind.MulticlassLogits))).Should().Throw<ArgumentException>().WithParameterName("memberOutputs");
        ((Action)(() => DeepEnsembleEstimator.EstimateFromOutputs(empty, OutputKind.MulticlassLogits))).Should().Throw<ArgumentException>().WithMessage("*empty*");
        ((Action)(() => DeepEnsembleEstimator.EstimateFromOutputs(null!, OutputKind.MulticlassLogits))).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Estimate_LeaksNoTensor()
    {
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1, 2, 3), EnsembleScore.TotalVariance);
        using var inputs = torch.randn(2, 3, 4, 4, generator: torch.manual_seed(1));
        var before = LiveTensors.Count;
        estimator.Estimate(inputs).Dispose();
        LiveTensors.Count.Should().Be(before);
        inputs.IsInvalid.Should().BeFalse();
    }

    /// <summary>Validation inputs whose labels are drawn from softmax(x): members scaled by s &gt; 1 are over-confident, by s &lt; 1 under-confident.</summary>
    private static (Tensor Inputs, Tensor Labels) LabelledData(int count, int seed)
    {
        var inputs = torch.randn(new long[] { count, 4 }, dtype: ScalarType.Float64, generator: torch.manual_seed(seed));
        var labels = torch.multinomial(inputs.softmax(1), 1, generator: torch.manual_seed(seed + 1000)).squeeze(1);
        return (inputs, labels);
    }

    private static readonly double[] CalibrationScales = { 0.6, 2, 3.5 };

    [Fact]
    public void Fit_TemperatureScaling_FitsEachMembersTemperatureOnItsOwnValidationLogits()
    {
        using var scope = torch.NewDisposeScope();
        var (x1, y1) = LabelledData(300, 1);
        var (x2, y2) = LabelledData(200, 2);
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, CalibrationScales), EnsembleScore.MutualInformation, TemperatureScaling.Fit);
        estimator.Requirements.Should().Be(Requirements.SeveralModels | Requirements.LabelledValidationData);
        estimator.Name.Should().Be("Calibrated ensemble MutualInformation");
        estimator.Calibrators.Should().BeNull();

        estimator.Fit(new FitData { Validation = new[] { new Batch(x1, y1), new Batch(x2, y2) } });

        var x = torch.cat(new[] { x1, x2 }, 0);
        var y = torch.cat(new[] { y1, y2 }, 0);
        estimator.Calibrators.Should().HaveCount(3);
        for (var m = 0; m < CalibrationScales.Length; m++)
        {
            var logits = x.mul(CalibrationScales[m]);
            var fitted = (TemperatureScaling)estimator.Calibrators![m];
            fitted.Temperature.Should().BeApproximately(TemperatureScaling.Fit(logits, y).Temperature, 1e-12);
            // Dividing by T > 0 keeps each member's predicted class.
            fitted.Transform(logits).argmax(1).allclose(logits.argmax(1), rtol: 0, atol: 0).Should().BeTrue();
        }

        // Over-confident members are cooled (T > 1), the under-confident one warmed (T < 1): T ≈ s for labels drawn from softmax(x).
        ((TemperatureScaling)estimator.Calibrators![0]).Temperature.Should().BeLessThan(1);
        ((TemperatureScaling)estimator.Calibrators![2]).Temperature.Should().BeGreaterThan(2.5);
    }

    [Fact]
    public void Estimate_Calibrated_AveragesEachMembersCalibratedProbabilities()
    {
        using var scope = torch.NewDisposeScope();
        var (x, y) = LabelledData(400, 3);
        var (test, _) = LabelledData(9, 4);
        foreach (var score in Enum.GetValues<EnsembleScore>())
        {
            var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, CalibrationScales), score, TemperatureScaling.Fit);
            estimator.Fit(new FitData { Validation = new[] { new Batch(x, y) } });
            using var estimate = estimator.Estimate(test);

            var stacked = torch.stack(CalibrationScales.Select((s, m) => estimator.Calibrators![m].Transform(test.mul(s))).ToArray());
            estimate.Probabilities.allclose(stacked.mean(new long[] { 0 }), rtol: 0, atol: 1e-14).Should().BeTrue(score.ToString());
            estimate.Scores.allclose(EnsembleScores.Compute(score, stacked), rtol: 0, atol: 1e-12).Should().BeTrue(score.ToString());
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Fit_TemperatureScaling_DoesNotIncreaseAnyMembersValidationNll(int seed)
    {
        using var scope = torch.NewDisposeScope();
        var (x, y) = LabelledData(500, seed);
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, CalibrationScales), EnsembleScore.PredictiveEntropy, TemperatureScaling.Fit);
        estimator.Fit(new FitData { Validation = new[] { new Batch(x, y) } });
        for (var m = 0; m < CalibrationScales.Length; m++)
        {
            var logits = x.mul(CalibrationScales[m]);
            CalibrationMetrics.NegativeLogLikelihood(estimator.Calibrators![m].Transform(logits), y)
                .Should().BeLessThanOrEqualTo(CalibrationMetrics.NegativeLogLikelihood(logits.softmax(1), y) + 1e-12);
        }

        // Here the members are over-confident on balance, and the ensemble of calibrated members has the lower NLL too.
        using var calibrated = estimator.Estimate(x);
        using var raw = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, CalibrationScales), EnsembleScore.PredictiveEntropy).Estimate(x);
        CalibrationMetrics.NegativeLogLikelihood(calibrated.Probabilities, y).Should().BeLessThan(CalibrationMetrics.NegativeLogLikelihood(raw.Probabilities, y));
    }

    [Fact]
    public void Estimate_FittedCalibrators_EqualsFittingAndNeedsNoFit()
    {
        using var scope = torch.NewDisposeScope();
        var (x, y) = LabelledData(300, 8);
        var fitting = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, CalibrationScales), EnsembleScore.Disagreement, TemperatureScaling.Fit);
        fitting.Fit(new FitData { Validation = new[] { new Batch(x, y) } });
        var given = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, CalibrationScales), EnsembleScore.Disagreement, fitting.Calibrators!);
        given.Requirements.Should().Be(Requirements.SeveralModels);
        given.Name.Should().Be("Calibrated ensemble Disagreement");
        given.Fit(FitData.None);

        using var a = fitting.Estimate(x);
        using var b = given.Estimate(x);
        b.Probabilities.allclose(a.Probabilities, rtol: 0, atol: 0).Should().BeTrue();
        b.Scores.allclose(a.Scores, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void EstimateFromOutputs_Calibrators_EqualsEstimateOnModels()
    {
        using var scope = torch.NewDisposeScope();
        var (x, y) = LabelledData(300, 9);
        var calibrators = CalibrationScales.Select(s => (ICalibrator)TemperatureScaling.Fit(x.mul(s), y)).ToArray();
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, CalibrationScales), EnsembleScore.ExpectedPairwiseKL, calibrators);
        using var fromModels = estimator.Estimate(x);
        using var fromOutputs = DeepEnsembleEstimator.EstimateFromOutputs(
            torch.stack(CalibrationScales.Select(s => x.mul(s)).ToArray()), OutputKind.MulticlassLogits, calibrators, EnsembleScore.ExpectedPairwiseKL);
        fromOutputs.Probabilities.allclose(fromModels.Probabilities, rtol: 0, atol: 0).Should().BeTrue();
        fromOutputs.Scores.allclose(fromModels.Scores, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Estimate_CalibratedSegmentationAndBinary_KeepTheUncalibratedLayout()
    {
        using var scope = torch.NewDisposeScope();
        var pixels = torch.randn(new long[] { 2, 3, 4, 5 }, dtype: ScalarType.Float64, generator: torch.manual_seed(10));
        var masks = pixels.argmax(1);
        var segmentation = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1, 2), EnsembleScore.MutualInformation, TemperatureScaling.Fit);
        segmentation.Fit(new FitData { Validation = new[] { new Batch(pixels, masks) } });
        using var map = segmentation.Estimate(pixels);
        map.Probabilities.shape.Should().Equal(2, 3, 4, 5);
        map.Map!.shape.Should().Equal(2, 4, 5);
        var t = ((TemperatureScaling)segmentation.Calibrators![1]).Temperature;
        var expected = torch.stack(new[] { segmentation.Calibrators[0].Transform(pixels.permute(0, 2, 3, 1).reshape(-1, 3)), pixels.mul(2 / t).permute(0, 2, 3, 1).reshape(-1, 3).softmax(1) })
            .mean(new long[] { 0 }).reshape(2, 4, 5, 3).permute(0, 3, 1, 2);
        map.Probabilities.allclose(expected, rtol: 0, atol: 1e-14).Should().BeTrue();

        var z = torch.randn(new long[] { 50 }, dtype: ScalarType.Float64, generator: torch.manual_seed(11));
        var binary = new DeepEnsembleEstimator(ScaledMembers(OutputKind.BinaryLogit, 1, 3), EnsembleScore.Variance, TemperatureScaling.Fit);
        binary.Fit(new FitData { Validation = new[] { new Batch(z, z.gt(0.3).to(ScalarType.Int64)) } });
        using var estimate = binary.Estimate(z);
        estimate.Probabilities.shape.Should().Equal(50, 2);
        var p = torch.stack(new[] { 1.0, 3 }.Select((s, m) => z.mul(s / ((TemperatureScaling)binary.Calibrators![m]).Temperature).sigmoid()).ToArray());
        estimate.Scores.allclose(EnsembleScores.BinaryStandardDeviation(p).square(), rtol: 0, atol: 1e-14).Should().BeTrue();
    }

    [Fact]
    public void Estimate_CalibratedBeforeFit_ThrowsNamingFit()
    {
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1, 2), EnsembleScore.MutualInformation, TemperatureScaling.Fit);
        using var inputs = torch.randn(3, 4);
        var act = () => estimator.Estimate(inputs);
        act.Should().Throw<InvalidOperationException>().WithMessage("*Fit(FitData)*before Estimate*");
    }

    [Fact]
    public void Fit_MissingOrUnlabelledValidationData_Throws()
    {
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1, 2), EnsembleScore.MutualInformation, TemperatureScaling.Fit);
        using var inputs = torch.randn(3, 4);
        using var labels = torch.tensor(new long[] { 0, 1 });
        using var outOfRange = torch.tensor(new long[] { 0, 1, 7 });
        ((Action)(() => estimator.Fit(FitData.None))).Should().Throw<ArgumentException>().WithParameterName("data").WithMessage("*DeepEnsembleEstimator needs labelled validation data*");
        ((Action)(() => estimator.Fit(new FitData { Validation = Array.Empty<Batch>() }))).Should().Throw<ArgumentException>().WithMessage("*no batches*");
        ((Action)(() => estimator.Fit(new FitData { Validation = new[] { new Batch(inputs) } }))).Should().Throw<ArgumentException>().WithMessage("*batch 0 has no labels*");
        ((Action)(() => estimator.Fit(new FitData { Validation = new[] { new Batch(inputs, labels) } }))).Should().Throw<ArgumentException>().WithMessage("*2 labels for 3 predictions*");
        ((Action)(() => estimator.Fit(new FitData { Validation = new[] { new Batch(inputs, outOfRange) } }))).Should().Throw<ArgumentException>().WithParameterName("labels");
        ((Action)(() => estimator.Fit(null!))).Should().Throw<ArgumentNullException>();
        estimator.Calibrators.Should().BeNull();
    }

    [Fact]
    public void Constructor_CalibratedBadArguments_Throw()
    {
        var one = TemperatureScaling.WithTemperature(2, 4);
        ((Action)(() => new DeepEnsembleEstimator(ScaledMembers(OutputKind.Probabilities, 1, 2), EnsembleScore.MutualInformation, TemperatureScaling.Fit)))
            .Should().Throw<ArgumentException>().WithParameterName("members").WithMessage("*logits*Probabilities*");
        ((Action)(() => new DeepEnsembleEstimator(ScaledMembers(OutputKind.Regression, 1, 2), EnsembleScore.Variance, new ICalibrator[] { one, one })))
            .Should().Throw<ArgumentException>().WithParameterName("members");
        ((Action)(() => new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1, 2), EnsembleScore.MutualInformation, new ICalibrator[] { one })))
            .Should().Throw<ArgumentException>().WithParameterName("calibrators").WithMessage("*one calibrator per member*has 2*found 1*");
        ((Action)(() => new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1, 2), EnsembleScore.MutualInformation, new ICalibrator[] { one, null! })))
            .Should().Throw<ArgumentNullException>().WithParameterName("calibrators");
        ((Action)(() => new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1, 2), EnsembleScore.MutualInformation, (Func<Tensor, Tensor, ICalibrator>)null!)))
            .Should().Throw<ArgumentNullException>().WithParameterName("calibration");
    }

    [Fact]
    public void EstimateFromOutputs_CalibratorsBadInput_Throws()
    {
        var four = TemperatureScaling.WithTemperature(2, 4);
        var calibrators = new ICalibrator[] { four, four };
        using var logits = torch.randn(2, 5, 4);
        using var nan = torch.full(new long[] { 2, 5, 4 }, double.NaN);
        using var threeClasses = torch.randn(2, 5, 3);
        ((Action)(() => DeepEnsembleEstimator.EstimateFromOutputs(nan, OutputKind.MulticlassLogits, calibrators))).Should().Throw<ArgumentException>().WithParameterName("memberOutputs").WithMessage("*NaN*");
        ((Action)(() => DeepEnsembleEstimator.EstimateFromOutputs(threeClasses, OutputKind.MulticlassLogits, calibrators))).Should().Throw<ArgumentException>()
            .WithParameterName("memberOutputs").WithMessage("*4 classes*");
        ((Action)(() => DeepEnsembleEstimator.EstimateFromOutputs(logits, OutputKind.MulticlassLogits, new ICalibrator[] { four }))).Should().Throw<ArgumentException>()
            .WithParameterName("calibrators");
        ((Action)(() => DeepEnsembleEstimator.EstimateFromOutputs(logits, OutputKind.Probabilities, calibrators))).Should().Throw<ArgumentException>().WithParameterName("kind");
        ((Action)(() => DeepEnsembleEstimator.EstimateFromOutputs(logits, OutputKind.MulticlassLogits, null!))).Should().Throw<ArgumentNullException>().WithParameterName("calibrators");
    }

    [Fact]
    public void Estimate_Calibrated_LeaksNoTensor()
    {
        using var scope = torch.NewDisposeScope();
        var (x, y) = LabelledData(50, 12);
        var estimator = new DeepEnsembleEstimator(ScaledMembers(OutputKind.MulticlassLogits, 1, 2), EnsembleScore.TotalVariance, TemperatureScaling.Fit);
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
        var folds = ScaledMembers(OutputKind.MulticlassLogits, 1, 2, 3, 4, 5);
        var (fold0, fold1, fold2, fold3, fold4) = (folds[0], folds[1], folds[2], folds[3], folds[4]);
        using var batch = torch.randn(4, 3);
        using var memberLogits = torch.randn(5, 4, 3);

        // docs/ensembles-and-tta.md
        var estimator = new DeepEnsembleEstimator(new IModel[] { fold0, fold1, fold2, fold3, fold4 }, EnsembleScore.MutualInformation);
        using var estimate = estimator.Estimate(batch);           // mean probabilities, one score per sample, map for segmentation
        using var fromPython = DeepEnsembleEstimator.EstimateFromOutputs(memberLogits, OutputKind.MulticlassLogits);

        estimate.Scores.shape.Should().Equal(4);
        fromPython.Scores.shape.Should().Equal(4);
    }

    [Fact]
    public void DocsExample_Calibrated_Runs()
    {
        using var scope = torch.NewDisposeScope();
        var folds = ScaledMembers(OutputKind.MulticlassLogits, 1, 2, 3, 4, 5);
        var (x, y) = LabelledData(100, 13);
        var validationBatches = new[] { new Batch(x, y) };
        var batch = torch.randn(4, 4);
        var validationLogits = torch.stack(new[] { 1.0, 2, 3, 4, 5 }.Select(s => x.mul(s)).ToArray());
        var validationLabels = y;
        var memberLogits = torch.randn(5, 4, 4);
        var path = Path.Combine(Path.GetTempPath(), $"uqlib-docs-ensemble-{Guid.NewGuid():N}.json");
        try
        {
            // docs/ensembles-and-tta.md
            var calibrated = new DeepEnsembleEstimator(folds, EnsembleScore.MutualInformation, TemperatureScaling.Fit);
            calibrated.Fit(new FitData { Validation = validationBatches });   // one temperature per member, on its own validation logits
            using var calibratedEstimate = calibrated.Estimate(batch);
            calibrated.Calibrators![0].Save(path);                            // TemperatureScaling.Load(path) gives it back

            // Logits computed elsewhere: fit each member's calibrator, then estimate.
            var calibrators = Enumerable.Range(0, 5)
                .Select(m => (ICalibrator)TemperatureScaling.Fit(validationLogits[m], validationLabels)).ToArray();
            using var calibratedFromPython = DeepEnsembleEstimator.EstimateFromOutputs(memberLogits, OutputKind.MulticlassLogits, calibrators);

            TemperatureScaling.Load(path).Temperature.Should().Be(((TemperatureScaling)calibrated.Calibrators[0]).Temperature);
            ((TemperatureScaling)calibrators[4]).Temperature.Should().BeApproximately(((TemperatureScaling)calibrated.Calibrators[4]).Temperature, 1e-12);
            calibratedEstimate.Scores.shape.Should().Equal(4);
            calibratedFromPython.Scores.shape.Should().Equal(4);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(OutputKind.BinaryLogit, 3)]
    [InlineData(OutputKind.MulticlassLogits, 3)]
    [InlineData(OutputKind.BinaryLogit, 2)]
    public void Estimate_SegmentationMembers_GiveEntropyMutualInformationAndVarianceMaps(OutputKind kind, int spatial)
    {
        using var scope = torch.NewDisposeScope();
        var channels = kind == OutputKind.BinaryLogit ? 1 : 3;
        long[] shape = spatial == 3 ? new long[] { 2, channels, 4, 5, 6 } : new long[] { 2, channels, 5, 6 };
        var inputs = torch.randn(shape, dtype: ScalarType.Float64, generator: torch.manual_seed(4));
        var members = ScaledMembers(kind, 0.5, 1, 3);
        var stacked = torch.stack(members.Select(m => ProbabilityConversion.ToProbabilities(m.Forward(inputs).Logits, kind)).ToArray());
        foreach (var score in new[] { EnsembleScore.PredictiveEntropy, EnsembleScore.MutualInformation, EnsembleScore.Variance })
        {
            using var estimate = new DeepEnsembleEstimator(members, score).Estimate(inputs);
            estimate.Map!.shape.Should().Equal(new[] { shape[0] }.Concat(shape.Skip(2)).ToArray());
            estimate.Map.allclose(EnsembleScores.Compute(score, stacked), rtol: 0, atol: 1e-12).Should().BeTrue(score.ToString());
            estimate.Scores.allclose(estimate.Map.flatten(1).mean(new long[] { 1 }), rtol: 0, atol: 1e-12).Should().BeTrue();
        }
    }
}
