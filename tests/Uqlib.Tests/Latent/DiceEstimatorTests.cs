using FluentAssertions;
using Uqlib.Latent;
using Xunit;

namespace Uqlib.Tests.Latent;

public sealed class DiceEstimatorTests
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
            using var estimator = new DiceEstimator(FinalLayerCases.Model, weight, bias);
            estimator.Fit(new FitData { Training = batches });
            using var detector = DiceDetector.Fit(train, weight, bias);
            using var expected = detector.Score(queries);

            estimator.Detector!.Threshold.Should().BeApproximately(detector.Threshold, 1e-12 * System.Math.Abs(detector.Threshold));
            estimator.Detector.Count.Should().Be(train.shape[0]);
            FinalLayerCases.ShouldScoreAsDetector(estimator, queries, expected, WhiteBoxGolden.Expected("dice"), 1e-12);
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
        var estimator = new DiceEstimator(FinalLayerCases.Model, weight, null, new DiceOptions { Sparsity = 70 });

        estimator.Name.Should().Be("DICE");
        estimator.Requirements.Should().Be(Requirements.TrainingData | Requirements.Features);
        estimator.Options.Sparsity.Should().Be(70);
        estimator.ToString().Should().Be("DiceEstimator(p=70, C=5, F=16, unfitted)");
        FluentActions.Invoking(() => estimator.Estimate(train)).Should().Throw<System.InvalidOperationException>().WithMessage("DICE has not been fitted*");
        estimator.Fit(new FitData { Training = [new Batch(train)] });
        estimator.ToString().Should().Be($"DiceEstimator({estimator.Detector})");
        estimator.Dispose();
        estimator.ToString().Should().Be("DiceEstimator(disposed)");
    }
}
