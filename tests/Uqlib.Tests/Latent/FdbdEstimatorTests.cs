using FluentAssertions;
using Uqlib.Latent;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Latent;

public sealed class FdbdEstimatorTests
{
    private static readonly System.Text.Json.JsonElement Reference = Golden.Load("fdbd_nnguide.json");

    [Fact]
    public void Fit_InUnevenBatches_ScoresAsTheDetectorAndTheReference()
    {
        using var train = Golden.MatrixTensor(Reference.GetProperty("features"));
        using var queries = Golden.MatrixTensor(Reference.GetProperty("queries"));
        using var weight = Golden.MatrixTensor(Reference.GetProperty("weight"));
        using var bias = Golden.VectorTensor(Reference.GetProperty("bias"));
        var batches = FinalLayerCases.Batches(train);
        try
        {
            using var estimator = new FdbdEstimator(FinalLayerCases.Model, weight, bias);
            estimator.Fit(new FitData { Training = batches });
            using var detector = FdbdDetector.Fit(train, weight, bias);
            using var expected = detector.Score(queries);

            FinalLayerCases.ShouldScoreAsDetector(estimator, queries, expected, Golden.Vector(Reference.GetProperty("fdbdScores")), 1e-10);
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
        using var single = weight.narrow(0, 0, 1);
        var estimator = new FdbdEstimator(FinalLayerCases.Model, weight);
        using var oneClass = new FdbdEstimator(FinalLayerCases.Model, single);

        estimator.Name.Should().Be("fDBD");
        estimator.Requirements.Should().Be(Requirements.TrainingData | Requirements.Features);
        estimator.ToString().Should().Be($"FdbdEstimator(C={weight.shape[0]}, F=16, unfitted)");
        FluentActions.Invoking(() => oneClass.Fit(new FitData { Training = [new Batch(train)] })).Should().Throw<System.ArgumentException>()
            .WithMessage("*at least 2 classes*").WithParameterName("weight");
        estimator.Fit(new FitData { Training = [new Batch(train)] });
        estimator.ToString().Should().Be($"FdbdEstimator({estimator.Detector})");
        estimator.Dispose();
        estimator.ToString().Should().Be("FdbdEstimator(disposed)");
    }
}
