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

public sealed class VimEstimatorTests
{
    [Fact]
    public void Estimate_SeparatesOffSubspaceClusterAndNotHoldOut()
    {
        using var weight = FirstTwo();
        using var estimator = new VimEstimator(SyntheticLatent.Model(), weight);

        var (ood, id) = SyntheticLatent.Evaluate(estimator, SyntheticLatent.OffSubspace);

        ood.Should().BeGreaterThan(0.95);
        id.Should().BeInRange(0.42, 0.58);
    }

    [Fact]
    public void Fit_StreamedInTwoPasses_EqualsOneShotDetector()
    {
        var training = SyntheticLatent.Training(4, 50, 17);
        try
        {
            using var linear = nn.Linear(SyntheticLatent.Dimension, 2);
            using var estimator = VimEstimator.FromLinear(SyntheticLatent.Model(), linear, new VimOptions { PrincipalDimension = 3 });
            estimator.Fit(new FitData { Training = training });
            using var all = torch.cat(training.Select(b => b.Inputs).ToArray(), 0);
            using var oneShot = VimDetector.Fit(all, linear.weight.detach(), linear.bias!.detach(), new VimOptions { PrincipalDimension = 3 });
            using var queries = SyntheticLatent.OffSubspace(20, 3);
            using var estimate = estimator.Estimate(queries);
            using var expected = oneShot.Score(queries);

            estimator.Detector!.Alpha.Should().BeApproximately(oneShot.Alpha, 1e-9 * Math.Abs(oneShot.Alpha));
            estimate.Scores.allclose(expected, rtol: 1e-8, atol: 1e-8).Should().BeTrue();
        }
        finally
        {
            SyntheticLatent.Dispose(training);
        }
    }

    [Fact]
    public void Estimate_BeforeFit_ThrowsNamingFit()
    {
        using var weight = FirstTwo();
        using var estimator = new VimEstimator(SyntheticLatent.Model(), weight);
        using var x = torch.ones(2, SyntheticLatent.Dimension);

        var act = () => estimator.Estimate(x);

        act.Should().Throw<InvalidOperationException>().WithMessage("*Fit*");
    }

    [Fact]
    public void Fit_FeaturesNotMatchingWeight_Throws()
    {
        var training = SyntheticLatent.Training(1, 50, 1);
        try
        {
            using var weight = torch.ones(2, 5);
            using var estimator = new VimEstimator(SyntheticLatent.Model(), weight);

            var act = () => estimator.Fit(new FitData { Training = training });

            act.Should().Throw<ArgumentException>().WithMessage("*expects dimension 5*");
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
            using var weight = FirstTwo();
            using var estimator = new VimEstimator(SyntheticLatent.Model(), weight);
            estimator.Fit(new FitData { Training = training });
            estimator.Save(path);
            using var restored = new VimEstimator(SyntheticLatent.Model(), weight);
            restored.Load(path);
            using var queries = SyntheticLatent.OffSubspace(10, 4);
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
        using var queries = SyntheticLatent.OffSubspace(10, 4);
        using var weight = FirstTwo();
        var before = LiveTensors.Count;
        using (var estimator = new VimEstimator(SyntheticLatent.Model(), weight))
        {
            estimator.Fit(new FitData { Training = training });
            estimator.Estimate(queries).Dispose();
        }

        LiveTensors.Count.Should().Be(before);
        SyntheticLatent.Dispose(training);
    }

    /// <summary>The synthetic model's final layer: logits are the first two features.</summary>
    private static Tensor FirstTwo()
    {
        return torch.eye(2, SyntheticLatent.Dimension);
    }
}
