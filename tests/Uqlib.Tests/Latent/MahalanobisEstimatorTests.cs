using System;
using System.IO;
using System.Linq;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class MahalanobisEstimatorTests
{
    private sealed class ConvNet : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> conv;
        private readonly nn.Module<Tensor, Tensor> head;

        public ConvNet()
            : base(nameof(ConvNet))
        {
            conv = nn.Conv2d(1, 4, 3, padding: 1);
            head = nn.Linear(4, 3);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = torch.NewDisposeScope();
            var maps = conv.call(input);
            return head.call(maps.mean(new long[] { 2, 3 })).MoveToOuterDisposeScope();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Estimate_SeparatesShiftedClusterAndNotHoldOut(bool classAgnostic)
    {
        using var estimator = new MahalanobisEstimator(SyntheticLatent.Model(), new MahalanobisOptions { ClassAgnostic = classAgnostic });

        var (ood, id) = SyntheticLatent.Evaluate(estimator);

        ood.Should().BeGreaterThan(0.95);
        id.Should().BeInRange(0.42, 0.58);
    }

    [Fact]
    public void Fit_StreamedOverBatches_EqualsOneShotDetector()
    {
        var training = SyntheticLatent.Training(5, 60, 7);
        try
        {
            using var estimator = new MahalanobisEstimator(SyntheticLatent.Model(), new MahalanobisOptions { Covariance = CovarianceMethod.LedoitWolf });
            var progress = new Progress();
            estimator.Fit(new FitData { Training = training }, progress, CancellationToken.None);
            using var all = torch.cat(training.Select(b => b.Inputs).ToArray(), 0);
            using var labels = torch.cat(training.Select(b => b.Labels!).ToArray(), 0);
            using var oneShot = MahalanobisDetector.Fit(all, labels, 2, CovarianceMethod.LedoitWolf);
            using var queries = SyntheticLatent.OutOfDistribution(20, 3);
            using var estimate = estimator.Estimate(queries);
            using var expected = oneShot.Score(queries);

            estimate.Scores.allclose(expected, rtol: 1e-9, atol: 1e-9).Should().BeTrue();
            using var streamedCovariance = estimator.Detector!.Covariance;
            using var oneShotCovariance = oneShot.Covariance;
            streamedCovariance.Shrinkage.Should().BeApproximately(oneShotCovariance.Shrinkage, 1e-12);
            progress.Last.Should().Be(new EstimationProgress(5, 300) { TotalSamples = 300 });
            estimate.Probabilities.shape.Should().Equal(20, 2);
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void Estimate_Float32Arithmetic_ScoresAsTheDetectorsFloat32Path()
    {
        var training = SyntheticLatent.Training(2, 60, 7);
        try
        {
            using var estimator = new MahalanobisEstimator(SyntheticLatent.Model(), new MahalanobisOptions { Arithmetic = ScoreArithmetic.Float32 });
            estimator.Fit(new FitData { Training = training });
            using var queries = SyntheticLatent.OutOfDistribution(20, 3);
            using var estimate = estimator.Estimate(queries);
            using var single = estimator.Detector!.Score(queries, ScoreArithmetic.Float32);
            using var full = estimator.Detector!.Score(queries);

            estimate.Scores.dtype.Should().Be(ScalarType.Float64);
            estimate.Scores.allclose(single, rtol: 0, atol: 0).Should().BeTrue();
            estimate.Scores.allclose(full, rtol: 1e-4, atol: 0).Should().BeTrue();
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void Options_UndefinedArithmeticAndCovariance_AreBothReported()
    {
        var act = () => new MahalanobisOptions { Arithmetic = (ScoreArithmetic)9, Covariance = (CovarianceMethod)8 }.Validate();

        act.Should().Throw<ArgumentException>().WithMessage("Invalid MahalanobisOptions: Covariance*found 8; Arithmetic*found 9.*");
    }

    [Fact]
    public void Fit_FeatureMaps_AreGlobalAveragePooled()
    {
        using var net = new ConvNet();
        var model = new TorchModuleModel(net, OutputKind.MulticlassLogits, featureLayer: "conv");
        using var generator = new Generator(11);
        using var images = torch.randn(new long[] { 60, 1, 5, 5 }, generator: generator);
        using var labels = torch.arange(60, dtype: ScalarType.Int64).remainder(3);
        using var estimator = new MahalanobisEstimator(model, new MahalanobisOptions { Covariance = CovarianceMethod.LedoitWolf });

        estimator.Fit(new FitData { Training = new[] { new Batch(images, labels) } });
        using var features = nn.functional.conv2d(images, net.get_parameter("conv.weight")!, net.get_parameter("conv.bias"), padding: new long[] { 1, 1 }).mean(new long[] { 2, 3 });
        using var direct = MahalanobisDetector.Fit(features.detach(), labels, 3, CovarianceMethod.LedoitWolf);
        using var estimate = estimator.Estimate(images);
        using var expected = direct.Score(features.detach());

        estimator.Detector!.Dimension.Should().Be(4);
        estimate.Scores.allclose(expected, rtol: 1e-5, atol: 1e-6).Should().BeTrue();
    }

    [Fact]
    public void DocsExample_RunsAsWritten()
    {
        // docs/latent-ood.md, "Use": keep the two in step.
        using var network = new ConvNet();
        using var generator = new Generator(12);
        using var images = torch.randn(new long[] { 90, 1, 5, 5 }, generator: generator);
        using var imageLabels = torch.arange(90, dtype: ScalarType.Int64).remainder(3);
        var training = new[] { new Batch(images.narrow(0, 0, 60), imageLabels.narrow(0, 0, 60)), new Batch(images.narrow(0, 60, 30), imageLabels.narrow(0, 60, 30)) };
        var test = new[] { new Batch(images.narrow(0, 0, 10)) };
        var path = Path.GetTempFileName();
        var (trainFeatures, trainLabels) = LatentCases.TwoClasses(60, 4, 1);
        using var testFeatures = torch.randn(new long[] { 5, 4 }, generator: generator);
        try
        {
            IModel model = new TorchModuleModel(network, OutputKind.MulticlassLogits, featureLayer: "conv");
            using var mahalanobis = new MahalanobisEstimator(model);
            using var knn = new KnnEstimator(model, new KnnOptions { K = 5, BankSize = 50, Seed = 1 });
            mahalanobis.Fit(new FitData { Training = training });
            knn.Fit(new FitData { Training = training });
            using var estimate = mahalanobis.EstimateAll(test);
            mahalanobis.Save(path);

            using var detector = RelativeMahalanobisDetector.Fit(trainFeatures, trainLabels, classes: 2);
            using var scores = detector.Score(testFeatures);

            estimate.Scores.shape.Should().Equal(10);
            scores.shape.Should().Equal(5);
        }
        finally
        {
            File.Delete(path);
            trainFeatures.Dispose();
            trainLabels.Dispose();
            foreach (var batch in training.Concat(test))
            {
                batch.Inputs.Dispose();
                batch.Labels?.Dispose();
            }
        }
    }

    [Fact]
    public void Estimate_BeforeFit_ThrowsNamingFit()
    {
        using var estimator = new MahalanobisEstimator(SyntheticLatent.Model());
        using var x = torch.ones(2, SyntheticLatent.Dimension);

        var act = () => estimator.Estimate(x);

        act.Should().Throw<InvalidOperationException>().WithMessage("*Fit*");
    }

    [Fact]
    public void Fit_WithoutTrainingData_ThrowsNamingIt()
    {
        using var estimator = new MahalanobisEstimator(SyntheticLatent.Model());

        var act = () => estimator.Fit(FitData.None);

        act.Should().Throw<ArgumentException>().WithMessage("*training data*");
    }

    [Fact]
    public void Fit_ModelWithoutFeatures_ThrowsClearly()
    {
        var training = SyntheticLatent.Training(1, 20, 1);
        try
        {
            using var estimator = new MahalanobisEstimator(SyntheticLatent.ModelWithoutFeatures());

            var act = () => estimator.Fit(new FitData { Training = training });

            act.Should().Throw<InvalidOperationException>().WithMessage("*latent features*featureLayer*");
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void Fit_UnlabelledBatches_ThrowsUnlessClassAgnostic()
    {
        var (x, _) = LatentCases.TwoClasses(40, SyntheticLatent.Dimension, 3);
        using (x)
        {
            var unlabelled = new[] { new Batch(x) };
            using var estimator = new MahalanobisEstimator(SyntheticLatent.Model());
            using var agnostic = new MahalanobisEstimator(SyntheticLatent.Model(), new MahalanobisOptions { ClassAgnostic = true, Covariance = CovarianceMethod.LedoitWolf });

            FluentActions.Invoking(() => estimator.Fit(new FitData { Training = unlabelled })).Should().Throw<ArgumentException>().WithMessage("*batch 0 has no labels*");
            agnostic.Fit(new FitData { Training = unlabelled });
            agnostic.Detector!.IsClassAgnostic.Should().BeTrue();
        }
    }

    [Fact]
    public void Fit_NaNFeatures_Throws()
    {
        var training = SyntheticLatent.Training(2, 20, 1);
        try
        {
            training[1].Inputs[3, 2] = torch.tensor(float.NaN);
            using var estimator = new MahalanobisEstimator(SyntheticLatent.Model());

            var act = () => estimator.Fit(new FitData { Training = training });

            act.Should().Throw<ArgumentException>().WithMessage("*NaN*row 3*");
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void Fit_Cancelled_KeepsNoHalfFit()
    {
        var training = SyntheticLatent.Training(2, 20, 1);
        try
        {
            using var estimator = new MahalanobisEstimator(SyntheticLatent.Model());
            using var cancelled = new CancellationTokenSource();
            cancelled.Cancel();

            var act = () => estimator.Fit(new FitData { Training = training }, null, cancelled.Token);

            act.Should().Throw<OperationCanceledException>();
            estimator.Detector.Should().BeNull();
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void Estimate_FeatureDimensionMismatch_Throws()
    {
        var training = SyntheticLatent.Training(1, 100, 1);
        try
        {
            using var estimator = new MahalanobisEstimator(SyntheticLatent.Model());
            estimator.Fit(new FitData { Training = training });
            using var wrong = torch.ones(3, 5);

            var act = () => estimator.Estimate(wrong);

            act.Should().Throw<ArgumentException>().WithMessage("*dimension 8*(3, 5)*");
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void SaveLoad_RoundTrip_GivesIdenticalScores()
    {
        var training = SyntheticLatent.Training(2, 50, 1);
        var path = Path.GetTempFileName();
        try
        {
            using var estimator = new MahalanobisEstimator(SyntheticLatent.Model());
            estimator.Fit(new FitData { Training = training });
            estimator.Save(path);
            using var restored = new MahalanobisEstimator(SyntheticLatent.Model());
            restored.Load(path);
            using var queries = SyntheticLatent.OutOfDistribution(10, 4);
            using var a = estimator.Estimate(queries);
            using var b = restored.Estimate(queries);

            b.Scores.allclose(a.Scores, rtol: 0, atol: 0).Should().BeTrue();

            using var agnostic = new MahalanobisEstimator(SyntheticLatent.Model(), new MahalanobisOptions { ClassAgnostic = true });
            FluentActions.Invoking(() => agnostic.Load(path)).Should().Throw<ArgumentException>().WithMessage("*class-conditional*");
            File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
            FluentActions.Invoking(() => restored.Load(path)).Should().Throw<InvalidDataException>();
            restored.Detector.Should().NotBeNull();
        }
        finally
        {
            File.Delete(path);
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void FitAndEstimate_LeakNoTensors()
    {
        var training = SyntheticLatent.Training(2, 50, 1);
        using var queries = SyntheticLatent.OutOfDistribution(10, 4);
        var before = LiveTensors.Count;
        using (var estimator = new MahalanobisEstimator(SyntheticLatent.Model()))
        {
            estimator.Fit(new FitData { Training = training });
            estimator.Estimate(queries).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
        SyntheticLatent.Dispose(training);
    }

    private sealed class Progress : IProgress<EstimationProgress>
    {
        public EstimationProgress Last { get; private set; }

        public void Report(EstimationProgress value) => Last = value;
    }

    [Fact]
    public void Fit_WithLogger_LogsTheCovarianceItSettledOn()
    {
        var training = SyntheticLatent.Training(2, 60, 7);
        try
        {
            var logger = new CapturingLogger();
            using var estimator = new MahalanobisEstimator(SyntheticLatent.Model(), new MahalanobisOptions { Logger = logger });
            estimator.Fit(new FitData { Training = training });

            using var covariance = estimator.Detector!.Covariance;
            var entry = logger.Entries.Should().ContainSingle().Which;
            entry.Event.Id.Should().Be(2001);
            entry.Message.Should().Contain("on 120 training samples").And.Contain($"covariance {covariance.Method} (asked Auto)");
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }
}
