using System;
using System.IO;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

public sealed class KnnEstimatorTests
{
    [Fact]
    public void Estimate_SeparatesShiftedClusterAndNotHoldOut()
    {
        using var estimator = new KnnEstimator(SyntheticLatent.Model());

        var (ood, id) = SyntheticLatent.Evaluate(estimator);

        ood.Should().BeGreaterThan(0.95);
        id.Should().BeInRange(0.42, 0.58);
    }

    [Fact]
    public void Fit_StreamedOverBatches_EqualsOneShotDetector()
    {
        var training = SyntheticLatent.Training(4, 50, 17);
        try
        {
            var options = new KnnOptions { K = 7, BankSize = 150, Seed = 3 };
            using var estimator = new KnnEstimator(SyntheticLatent.Model(), options);
            estimator.Fit(new FitData { Training = training });
            using var all = torch.cat(training.Select(b => b.Inputs).ToArray(), 0);
            using var oneShot = KnnDetector.Fit(all, options);
            using var queries = SyntheticLatent.OutOfDistribution(20, 3);
            using var estimate = estimator.Estimate(queries);
            using var expected = oneShot.Score(queries);

            estimator.Detector!.BankSize.Should().Be(150);
            estimate.Scores.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void Fit_UnlabelledBatches_Works()
    {
        var (x, _) = LatentCases.TwoClasses(60, SyntheticLatent.Dimension, 3);
        using (x)
        {
            using var estimator = new KnnEstimator(SyntheticLatent.Model(), new KnnOptions { K = 5 });

            estimator.Fit(new FitData { Training = new[] { new Batch(x) } });

            estimator.Detector!.BankSize.Should().Be(60);
        }
    }

    [Fact]
    public void Fit_TooFewSamplesForK_Throws()
    {
        var training = SyntheticLatent.Training(1, 20, 1);
        try
        {
            using var estimator = new KnnEstimator(SyntheticLatent.Model());

            var act = () => estimator.Fit(new FitData { Training = training });

            act.Should().Throw<ArgumentException>().WithMessage("K = 50 needs at least 50 training features; found 20.*");
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void Fit_ModelWithoutFeatures_ThrowsClearly()
    {
        var training = SyntheticLatent.Training(1, 60, 1);
        try
        {
            using var estimator = new KnnEstimator(SyntheticLatent.ModelWithoutFeatures());

            var act = () => estimator.Fit(new FitData { Training = training });

            act.Should().Throw<InvalidOperationException>().WithMessage("kNN needs latent features*");
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void Estimate_DimensionMismatch_Throws()
    {
        var training = SyntheticLatent.Training(1, 60, 1);
        try
        {
            using var estimator = new KnnEstimator(SyntheticLatent.Model(), new KnnOptions { K = 5 });
            estimator.Fit(new FitData { Training = training });
            using var wrong = torch.ones(2, 3);

            var act = () => estimator.Estimate(wrong);

            act.Should().Throw<ArgumentException>().WithMessage("*dimension 8*");
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
            using var estimator = new KnnEstimator(SyntheticLatent.Model(), new KnnOptions { K = 5 });
            estimator.Fit(new FitData { Training = training });
            estimator.Save(path);
            using var restored = new KnnEstimator(SyntheticLatent.Model());
            restored.Load(path);
            using var queries = SyntheticLatent.OutOfDistribution(10, 4);
            using var a = estimator.Estimate(queries);
            using var b = restored.Estimate(queries);

            b.Scores.allclose(a.Scores, rtol: 0, atol: 0).Should().BeTrue();
            restored.Detector!.K.Should().Be(5);
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
        using (var estimator = new KnnEstimator(SyntheticLatent.Model(), new KnnOptions { K = 5, BankSize = 70 }))
        {
            estimator.Fit(new FitData { Training = training });
            estimator.Estimate(queries).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
        SyntheticLatent.Dispose(training);
    }
}
