using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Combination;
using Uqlib.Ensembles;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Scores;
using Uqlib.Segmentation;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Conventions;

/// <summary>
/// The output dtype policy (docs/concepts.md#output-dtypes): a per-case score <c>(N)</c> is float64 whatever its input's dtype, so
/// <c>.item&lt;double&gt;()</c> and <c>data&lt;double&gt;()</c> work on every score; a per-pixel/voxel map keeps its input's floating dtype.
/// Every public score function of the core is listed here with float32 input.
/// </summary>
public sealed class OutputDtypeConventionTests
{
    private const int N = 12;

    /// <summary>Every public per-case score function, called on float32 inputs.</summary>
    private static readonly Dictionary<string, Func<Tensor>> PerCase = new()
    {
        ["SoftmaxScores.OneMinusMaxProbability"] = () => SoftmaxScores.OneMinusMaxProbability(Probabilities()),
        ["SoftmaxScores.Entropy"] = () => SoftmaxScores.Entropy(Probabilities()),
        ["SoftmaxScores.OneMinusMargin"] = () => SoftmaxScores.OneMinusMargin(Probabilities()),
        ["SoftmaxScores.NegativeMaxLogit"] = () => SoftmaxScores.NegativeMaxLogit(Logits()),
        ["SoftmaxScores.Energy"] = () => SoftmaxScores.Energy(Logits()),
        ["SoftmaxScores.Energy, T = 2"] = () => SoftmaxScores.Energy(Logits(), 2.0),
        ["SoftmaxScores.DistanceToHardLabel"] = () => SoftmaxScores.DistanceToHardLabel(Probabilities().select(1, 0)),
        ["SoftmaxScores.Compute, OneMinusMaxProbability"] = () => SoftmaxScores.Compute(SoftmaxScore.OneMinusMaxProbability, Logits(), OutputKind.MulticlassLogits),
        ["SoftmaxScores.Compute, Entropy"] = () => SoftmaxScores.Compute(SoftmaxScore.Entropy, Logits(), OutputKind.MulticlassLogits),
        ["SoftmaxScores.Compute, OneMinusMargin"] = () => SoftmaxScores.Compute(SoftmaxScore.OneMinusMargin, Logits(), OutputKind.MulticlassLogits),
        ["SoftmaxScores.Compute, NegativeMaxLogit"] = () => SoftmaxScores.Compute(SoftmaxScore.NegativeMaxLogit, Logits(), OutputKind.MulticlassLogits),
        ["SoftmaxScores.Compute, Energy"] = () => SoftmaxScores.Compute(SoftmaxScore.Energy, Logits(), OutputKind.MulticlassLogits),
        ["SoftmaxScores.Compute, DistanceToHardLabel"] = () => SoftmaxScores.Compute(SoftmaxScore.DistanceToHardLabel, Logits().select(1, 0), OutputKind.BinaryLogit),
        ["SoftmaxScores.Compute, probabilities"] = () => SoftmaxScores.Compute(SoftmaxScore.Entropy, Probabilities(), OutputKind.Probabilities),
        ["OodScores.Gen"] = () => OodScores.Gen(Probabilities()),
        ["KlMatching.Score"] = () =>
        {
            using var matching = KlMatching.Fit(Probabilities());
            return matching.Score(Probabilities());
        },
        ["EnsembleScores.BinaryStandardDeviation"] = () => EnsembleScores.BinaryStandardDeviation(MemberProbabilities().select(2, 0)),
        ["EnsembleScores.RegressionVariance"] = () => EnsembleScores.RegressionVariance(Features().slice(1, 0, 3, 1).t()),
        ["EnsembleScores.RegressionTotalVariance"] = () => EnsembleScores.RegressionTotalVariance(Features().slice(1, 0, 3, 1).t(), Features().slice(1, 0, 3, 1).t().abs()),
        ["KnnDetector.Score"] = () =>
        {
            using var detector = KnnDetector.Fit(Features(), new KnnOptions { K = 3 });
            return detector.Score(Features());
        },
        ["MahalanobisDetector.Score"] = () =>
        {
            using var detector = MahalanobisDetector.Fit(Features(), Labels(), 3, CovarianceMethod.LedoitWolf);
            return detector.Score(Features());
        },
        ["RelativeMahalanobisDetector.Score"] = () =>
        {
            using var detector = RelativeMahalanobisDetector.Fit(Features(), Labels(), 3, CovarianceMethod.LedoitWolf);
            return detector.Score(Features());
        },
        ["VimDetector.Score"] = () =>
        {
            using var weight = torch.randn(3, 6, generator: torch.manual_seed(5));
            using var detector = VimDetector.Fit(Features(), weight, options: new VimOptions { PrincipalDimension = 2 });
            return detector.Score(Features());
        },
        ["ZScoreCombiner.Combine"] = () => ZScoreCombiner.Fit(MethodScores()).Combine(MethodScores()),
        ["RankCombiner.Combine"] = () => RankCombiner.Fit(MethodScores()).Combine(MethodScores()),
        ["MapAggregation.Mean"] = () => MapAggregation.Mean(Map()),
        ["MapAggregation.Percentile"] = () => MapAggregation.Percentile(Map()),
        ["MapAggregation.ForegroundMean"] = () => MapAggregation.ForegroundMean(Map(), Map().gt(0.5)),
        ["MapAggregation.BoundaryMean"] = () => MapAggregation.BoundaryMean(Map(), Map().gt(0.5)),
        ["MapAggregation.PairwiseDiceDisagreement"] = () => MapAggregation.PairwiseDiceDisagreement(torch.rand(3, N, 5, 5, generator: torch.manual_seed(9)).gt(0.5)),
        ["MapAggregation.VolumeCoefficientOfVariation"] = () => MapAggregation.VolumeCoefficientOfVariation(torch.rand(3, N, 5, 5, generator: torch.manual_seed(9)).gt(0.5)),
        ["SoftmaxEstimator.Estimate"] = () => Estimate(new SoftmaxEstimator(new DelegateModel(x => x.alias(), OutputKind.MulticlassLogits), SoftmaxScore.Entropy)),
        ["DeepEnsembleEstimator.Estimate"] = () => Estimate(new DeepEnsembleEstimator(
            [new DelegateModel(x => x.alias(), OutputKind.MulticlassLogits), new DelegateModel(x => x.mul(2), OutputKind.MulticlassLogits)])),
    };

    /// <summary>Every public per-pixel map function, called on float32 inputs.</summary>
    private static readonly Dictionary<string, Func<Tensor>> Maps = new()
    {
        ["SoftmaxScores.Entropy of (N, C, H, W)"] = () => SoftmaxScores.Entropy(SegmentationLogits().softmax(1)),
        ["SegmentationScores.EntropyMap"] = () => SegmentationScores.EntropyMap(SegmentationLogits(), OutputKind.MulticlassLogits),
        ["SegmentationScores.OneMinusMaxProbabilityMap"] = () => SegmentationScores.OneMinusMaxProbabilityMap(SegmentationLogits(), OutputKind.MulticlassLogits),
        ["SegmentationScores.Map, Energy"] = () => SegmentationScores.Map(SoftmaxScore.Energy, SegmentationLogits(), OutputKind.MulticlassLogits),
        ["EnsembleScores.MutualInformation of (M, N, C, H, W)"] = () => EnsembleScores.MutualInformation(SegmentationLogits().unsqueeze(0).expand(2, -1, -1, -1, -1).softmax(2)),
    };

    public static TheoryData<string> PerCaseFunctions => new(PerCase.Keys.Concat(Enum.GetNames<EnsembleScore>().Select(s => "EnsembleScores.Compute, " + s)));

    public static TheoryData<string> MapFunctions => new(Maps.Keys);

    [Theory]
    [MemberData(nameof(PerCaseFunctions))]
    public void PerCaseScore_OfFloat32Input_IsFloat64(string function)
    {
        using var scope = torch.NewDisposeScope();
        var scores = function.StartsWith("EnsembleScores.Compute, ", StringComparison.Ordinal)
            ? EnsembleScores.Compute(Enum.Parse<EnsembleScore>(function["EnsembleScores.Compute, ".Length..]), MemberProbabilities())
            : PerCase[function]();

        scores.dtype.Should().Be(ScalarType.Float64, function + " returns per-case scores");
        scores.dim().Should().Be(1);
        scores[0].item<double>().Should().BeGreaterThan(double.MinValue);
    }

    [Theory]
    [MemberData(nameof(MapFunctions))]
    public void Map_OfFloat32Input_StaysFloat32(string function)
    {
        using var scope = torch.NewDisposeScope();
        var map = Maps[function]();

        map.dtype.Should().Be(ScalarType.Float32, function + " returns a per-pixel map");
        map.dim().Should().Be(3);
    }

    private static Tensor Logits() => torch.randn(N, 3, generator: torch.manual_seed(1));

    private static Tensor Probabilities() => Logits().softmax(1);

    private static Tensor MemberProbabilities() => torch.randn(3, N, 2, generator: torch.manual_seed(2)).softmax(2);

    private static Tensor Features() => torch.randn(N, 6, generator: torch.manual_seed(3));

    private static Tensor Labels() => torch.arange(N, dtype: ScalarType.Int64).remainder(3);

    private static Tensor Map() => torch.rand(N, 5, 5, generator: torch.manual_seed(4));

    private static Tensor SegmentationLogits() => torch.randn(2, 3, 4, 4, generator: torch.manual_seed(6));

    private static Dictionary<string, Tensor> MethodScores() => new(StringComparer.Ordinal)
    {
        ["a"] = torch.rand(N, generator: torch.manual_seed(7)),
        ["b"] = torch.rand(N, generator: torch.manual_seed(8)),
    };

    private static Tensor Estimate(IUncertaintyEstimator estimator)
    {
        using var estimate = estimator.Estimate(Logits());
        return estimate.Scores.alias();
    }
}
