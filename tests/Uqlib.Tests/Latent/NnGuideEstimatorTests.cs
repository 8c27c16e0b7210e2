using FluentAssertions;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Latent;

public sealed class NnGuideEstimatorTests
{
    private static readonly System.Text.Json.JsonElement Reference = Golden.Load("fdbd_nnguide.json");

    [Fact]
    public void Fit_InUnevenBatches_ScoresAsTheDetectorAndTheReference()
    {
        using var train = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var queries = Golden.MatrixTensor(Reference.GetProperty("queries"));
        using var weight = Golden.MatrixTensor(Reference.GetProperty("weight"));
        using var bias = Golden.VectorTensor(Reference.GetProperty("bias"));
        var options = new NnGuideOptions { K = Reference.GetProperty("k").GetInt32() };
        var batches = FinalLayerCases.Batches(train);
        try
        {
            using var estimator = new NnGuideEstimator(FinalLayerCases.Model, weight, bias, options);
            estimator.Fit(new FitData { Training = batches });
            using var detector = NnGuideDetector.Fit(train, weight, bias, options);
            using var expected = detector.Score(queries);

            estimator.Detector!.BankSize.Should().Be(train.shape[0]);
            // The similarities are float32, as in the authors' faiss index (see NnGuideDetectorTests).
            FinalLayerCases.ShouldScoreAsDetector(estimator, queries, expected, Golden.Vector(Reference.GetProperty("nnguideScores")), 1e-6);
        }
        finally
        {
            SyntheticLatent.Dispose(batches);
        }
    }

    [Fact]
    public void Fit_SubSampledBank_KeepsTheDetectorsSeededSample()
    {
        using var train = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var queries = Golden.MatrixTensor(Reference.GetProperty("queries"));
        using var weight = Golden.MatrixTensor(Reference.GetProperty("weight"));
        var options = new NnGuideOptions { K = 5, BankSize = 50, Seed = 3 };
        var batches = FinalLayerCases.Batches(train);
        try
        {
            using var estimator = new NnGuideEstimator(FinalLayerCases.Model, weight, null, options);
            estimator.Fit(new FitData { Training = batches });
            using var detector = NnGuideDetector.Fit(train, weight, null, options);
            using var expected = detector.Score(queries);
            using var estimate = estimator.Estimate(queries);

            estimator.Detector!.BankSize.Should().Be(50);
            Golden.ToArray(estimate.Scores).Should().Equal(Golden.ToArray(expected), (a, b) => LatentCases.CloseRelative(a, b, 1e-12));
        }
        finally
        {
            SyntheticLatent.Dispose(batches);
        }
    }

    [Fact]
    public void NameRequirementsAndToString_DescribeTheEstimator()
    {
        using var train = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var weight = Golden.MatrixTensor(Reference.GetProperty("weight"));
        var estimator = new NnGuideEstimator(FinalLayerCases.Model, weight, null, new NnGuideOptions { K = 400 });

        estimator.Name.Should().Be("NNGuide");
        estimator.Requirements.Should().Be(Requirements.TrainingData | Requirements.Features);
        estimator.ToString().Should().Be($"NnGuideEstimator(k=400, C={weight.shape[0]}, F=16, unfitted)");
        FluentActions.Invoking(() => estimator.Fit(new FitData { Training = [new Batch(train)] })).Should().Throw<System.ArgumentException>()
            .WithMessage("K = 400 needs at least 400 training features; found 300.*");
        estimator.Dispose();
        estimator.ToString().Should().Be("NnGuideEstimator(disposed)");
    }
}
