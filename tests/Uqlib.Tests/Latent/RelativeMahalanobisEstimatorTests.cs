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

public sealed class RelativeMahalanobisEstimatorTests
{
    [Fact]
    public void Estimate_SeparatesShiftedClusterAndNotHoldOut()
    {
        using var estimator = new RelativeMahalanobisEstimator(SyntheticLatent.Model());

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
            using var estimator = new RelativeMahalanobisEstimator(SyntheticLatent.Model(), new MahalanobisOptions { Covariance = CovarianceMethod.Empirical });
            estimator.Fit(new FitData { Training = training });
            using var all = torch.cat(training.Select(b => b.Inputs).ToArray(), 0);
            using var labels = torch.cat(training.Select(b => b.Labels!).ToArray(), 0);
            using var oneShot = RelativeMahalanobisDetector.Fit(all, labels, 2, CovarianceMethod.Empirical);
            using var queries = SyntheticLatent.OutOfDistribution(20, 3);
            using var estimate = estimator.Estimate(queries);
            using var expected = oneShot.Score(queries);

            estimate.Scores.allclose(expected, rtol: 1e-9, atol: 1e-9).Should().BeTrue();
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void Constructor_ClassAgnostic_Throws()
    {
        var act = () => new RelativeMahalanobisEstimator(SyntheticLatent.Model(), new MahalanobisOptions { ClassAgnostic = true });

        act.Should().Throw<ArgumentException>().WithParameterName("options");
    }

    [Fact]
    public void Estimate_BeforeFit_ThrowsNamingFit()
    {
        using var estimator = new RelativeMahalanobisEstimator(SyntheticLatent.Model());
        using var x = torch.ones(2, SyntheticLatent.Dimension);

        var act = () => estimator.Estimate(x);

        act.Should().Throw<InvalidOperationException>().WithMessage("*Fit*");
    }

    [Fact]
    public void Estimate_NaNFeatures_Throws()
    {
        var training = SyntheticLatent.Training(1, 100, 1);
        try
        {
            using var estimator = new RelativeMahalanobisEstimator(SyntheticLatent.Model());
            estimator.Fit(new FitData { Training = training });
            using var x = torch.ones(3, SyntheticLatent.Dimension);
            x[2, 5] = torch.tensor(float.NaN);

            var act = () => estimator.Estimate(x);

            act.Should().Throw<ArgumentException>().WithMessage("*NaN*");
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
            using var estimator = new RelativeMahalanobisEstimator(SyntheticLatent.Model());
            estimator.Fit(new FitData { Training = training });
            estimator.Save(path);
            using var restored = new RelativeMahalanobisEstimator(SyntheticLatent.Model());
            restored.Load(path);
            using var queries = SyntheticLatent.OutOfDistribution(10, 4);
            using var a = estimator.Estimate(queries);
            using var b = restored.Estimate(queries);

            b.Scores.allclose(a.Scores, rtol: 0, atol: 0).Should().BeTrue();
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
        using (var estimator = new RelativeMahalanobisEstimator(SyntheticLatent.Model()))
        {
            estimator.Fit(new FitData { Training = training });
            estimator.Estimate(queries).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
        SyntheticLatent.Dispose(training);
    }
}
