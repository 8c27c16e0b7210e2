using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class ReactEstimatorTests
{
    [Fact]
    public void Fit_InUnevenBatches_ScoresAsTheDetectorAndThePyTorchReference()
    {
        using var train = WhiteBoxGolden.Train();
        using var queries = WhiteBoxGolden.Queries();
        using var weight = WhiteBoxGolden.Weight();
        using var bias = WhiteBoxGolden.Bias();
        var batches = FinalLayerCases.Batches(train);
        try
        {
            using var estimator = new ReactEstimator(FinalLayerCases.Model, weight, bias);
            estimator.Fit(new FitData { Training = batches });
            using var detector = ReactDetector.Fit(train, weight, bias);
            using var expected = detector.Score(queries);

            estimator.Detector!.Threshold.Should().Be(detector.Threshold);
            estimator.Detector.Count.Should().Be(train.shape[0]);
            estimator.Detector.Threshold.Should().BeApproximately(WhiteBoxGolden.Reference.GetProperty("reactThreshold").GetDouble(), 1e-12);
            FinalLayerCases.ShouldScoreAsDetector(estimator, queries, expected, WhiteBoxGolden.Expected("react"), 1e-12);
        }
        finally
        {
            SyntheticLatent.Dispose(batches);
        }
    }

    [Fact]
    public void FromLinear_OnATorchModule_ClipsThePenultimateActivationsOfItsFinalLayer()
    {
        // The MLP of make_whitebox.py: features are the ReLU's output, the final layer is fc2; the network is not otherwise needed.
        using var module = WhiteBoxMlp.Create();
        var model = new TorchModuleModel(module, OutputKind.MulticlassLogits, "relu");
        using var inputs = WhiteBoxMlp.Inputs();
        var finalLayer = (TorchSharp.Modules.Linear)module.named_children().Single(c => c.name == "fc2").module;
        using var estimator = ReactEstimator.FromLinear(model, finalLayer, new ReactOptions { Percentile = 80 });
        estimator.Fit(new FitData { Training = [new Batch(inputs)] });
        using var output = model.Forward(inputs);
        using var detector = ReactDetector.Fit(output.Features!, finalLayer.weight!.detach(), finalLayer.bias!.detach(), new ReactOptions { Percentile = 80 });
        using var expected = detector.Score(output.Features!);

        using var estimate = estimator.Estimate(inputs);

        Golden.ToArray(estimate.Scores).Should().Equal(Golden.ToArray(expected), (a, b) => LatentCases.CloseRelative(a, b, 1e-12));
        estimate.Probabilities.allclose(output.Logits.softmax(1)).Should().BeTrue();
    }

    [Fact]
    public void Fit_FeatureMaps_AreAveragedOverSpace()
    {
        using var train = WhiteBoxGolden.Train();
        using var queries = WhiteBoxGolden.Queries();
        using var weight = WhiteBoxGolden.Weight();
        var batches = FinalLayerCases.Batches(train);
        try
        {
            using var estimator = new ReactEstimator(FinalLayerCases.MapModel, weight);
            estimator.Fit(new FitData { Training = batches });
            using var detector = ReactDetector.Fit(train, weight);
            using var expected = detector.Score(queries);

            using var estimate = estimator.Estimate(queries);

            estimator.Detector!.Threshold.Should().BeApproximately(detector.Threshold, 1e-15);
            Golden.ToArray(estimate.Scores).Should().Equal(Golden.ToArray(expected), (a, b) => LatentCases.CloseRelative(a, b, 1e-14));
        }
        finally
        {
            SyntheticLatent.Dispose(batches);
        }
    }

    [Fact]
    public void Fit_ReportsEachBatchAndHonoursCancellation()
    {
        using var train = WhiteBoxGolden.Train();
        using var weight = WhiteBoxGolden.Weight();
        var batches = FinalLayerCases.Batches(train);
        try
        {
            using var estimator = new ReactEstimator(FinalLayerCases.Model, weight);
            var reports = new List<EstimationProgress>();
            using var source = new System.Threading.CancellationTokenSource();

            estimator.Fit(new FitData { Training = batches }, new SynchronousProgress<EstimationProgress>(reports.Add));
            var cancelled = () => estimator.Fit(
                new FitData { Training = batches }, new SynchronousProgress<EstimationProgress>(_ => source.Cancel()), source.Token);

            reports.Should().Equal(
                new EstimationProgress(1, 40) { TotalSamples = 120 }, new EstimationProgress(2, 41) { TotalSamples = 120 },
                new EstimationProgress(3, 120) { TotalSamples = 120 });
            var fitted = estimator.Detector;
            cancelled.Should().Throw<OperationCanceledException>();
            estimator.Detector.Should().BeSameAs(fitted, "a cancelled fit keeps the previous one");
        }
        finally
        {
            SyntheticLatent.Dispose(batches);
        }
    }

    [Fact]
    public void FitAndEstimate_BadInput_AreRefusedClearly()
    {
        using var train = WhiteBoxGolden.Train();
        using var weight = WhiteBoxGolden.Weight();
        using var narrow = torch.ones(5, 7);
        var batches = FinalLayerCases.Batches(train);
        try
        {
            using var estimator = new ReactEstimator(FinalLayerCases.Model, narrow);
            var blind = new DelegateModel(x => x.narrow(1, 0, 3).clone(), OutputKind.MulticlassLogits);
            using var withoutFeatures = new ReactEstimator(blind, weight);

            FluentActions.Invoking(() => estimator.Estimate(train)).Should().Throw<InvalidOperationException>().WithMessage("ReAct has not been fitted: call Fit*");
            FluentActions.Invoking(() => estimator.Fit(new FitData { Training = batches })).Should().Throw<ArgumentException>()
                .WithMessage("ReAct: a training batch has features of shape (40, 16) but the final layer's weight expects dimension 7.*").WithParameterName("data");
            FluentActions.Invoking(() => estimator.Fit(new FitData())).Should().Throw<ArgumentException>().WithMessage("ReAct needs training data*");
            FluentActions.Invoking(() => withoutFeatures.Fit(new FitData { Training = batches })).Should().Throw<InvalidOperationException>()
                .WithMessage("ReAct needs latent features but the model returned none*");
            FluentActions.Invoking(() => new ReactEstimator(FinalLayerCases.Model, weight, torch.zeros(4))).Should().Throw<ArgumentException>().WithParameterName("bias");
            FluentActions.Invoking(() => new ReactEstimator(FinalLayerCases.Model, weight, null, new ReactOptions { Percentile = 101 }))
                .Should().Throw<ArgumentException>().WithMessage("*Percentile*");
        }
        finally
        {
            SyntheticLatent.Dispose(batches);
        }
    }

    [Fact]
    public void NameRequirementsAndToString_DescribeTheEstimator()
    {
        using var train = WhiteBoxGolden.Train();
        using var weight = WhiteBoxGolden.Weight();
        var estimator = new ReactEstimator(FinalLayerCases.Model, weight);

        estimator.Name.Should().Be("ReAct");
        estimator.Requirements.Should().Be(Requirements.TrainingData | Requirements.Features, "only features are needed: a delegate model will do");
        estimator.ToString().Should().Be("ReactEstimator(p=90, C=5, F=16, unfitted)");
        estimator.Fit(new FitData { Training = [new Batch(train)] });
        estimator.ToString().Should().Be($"ReactEstimator({estimator.Detector})");
        estimator.Dispose();
        estimator.ToString().Should().Be("ReactEstimator(disposed)");
    }

    [Fact]
    public void DocsExample_RunsAsWritten()
    {
        // docs/latent-ood.md, "Detectors on the final layer": keep the two in step.
        using var network = WhiteBoxMlp.Create();
        using var inputs = WhiteBoxMlp.Inputs();
        var training = new[] { new Batch(inputs.narrow(0, 0, 6)), new Batch(inputs.narrow(0, 6, inputs.shape[0] - 6)) };
        var test = new[] { new Batch(inputs) };
        var progress = new SynchronousProgress<EstimationProgress>(_ => { });
        var cancellationToken = System.Threading.CancellationToken.None;
        var path = System.IO.Path.GetTempFileName();
        try
        {
            var model = new TorchModuleModel(network, OutputKind.MulticlassLogits, featureLayer: "relu");
            var finalLayer = (TorchSharp.Modules.Linear)network.named_children().Single(c => c.name == "fc2").module;
            using var react = ReactEstimator.FromLinear(model, finalLayer);
            using var gradNorm = GradNormEstimator.FromLinear(model, finalLayer);
            react.Fit(new FitData { Training = training }, progress, cancellationToken);
            using var estimate = react.EstimateAll(test);
            using var noFit = gradNorm.EstimateAll(test);
            react.Save(path);

            estimate.Scores.shape.Should().Equal(inputs.shape[0]);
            noFit.Scores.dtype.Should().Be(ScalarType.Float64);
            using var loaded = ReactDetector.Load(path);
            loaded.Threshold.Should().Be(react.Detector!.Threshold);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void FitAndEstimate_LeaveNoLiveTensorsBehind()
    {
        using var train = WhiteBoxGolden.Train();
        using var weight = WhiteBoxGolden.Weight();
        var batches = FinalLayerCases.Batches(train);
        try
        {
            using var estimator = new ReactEstimator(FinalLayerCases.Model, weight);
            estimator.Fit(new FitData { Training = batches });
            estimator.Estimate(train).Dispose();
            var before = LiveTensors.Count;

            estimator.Fit(new FitData { Training = batches });
            estimator.Estimate(train).Dispose();

            LiveTensors.Count.Should().Be(before);
        }
        finally
        {
            SyntheticLatent.Dispose(batches);
        }
    }
}
