using System;
using System.Linq;
using FluentAssertions;
using TorchSharp;
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
        estimate.Scores.allclose(estimate.Map.mean(new long[] { 1, 2 })).Should().BeTrue();
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
