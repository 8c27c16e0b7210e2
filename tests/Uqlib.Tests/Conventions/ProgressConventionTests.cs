using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Calibration;
using Uqlib.Combination;
using Uqlib.Conformal;
using Uqlib.Ensembles;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Regression;
using Uqlib.Scores;
using Uqlib.Segmentation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Conventions;

/// <summary>
/// The convention for long work (docs/concepts.md#long-work): every public method of the long-running families (see
/// <see cref="TypeConventions.IsLongRunning"/>: <c>Fit…</c>, <c>EstimateAll…</c>, <c>Search…</c>, <c>Merge…</c>, <c>Build</c>) takes
/// <c>IProgress&lt;T&gt;? progress</c> and <c>CancellationToken cancellationToken = default</c> as its last two parameters, or has an overload
/// that does; and a cancelled token cancels, in every family.
/// </summary>
public sealed class ProgressConventionTests
{
    [Fact]
    public void LongRunningMethods_TakeProgressAndCancellationLast()
    {
        TypeConventions.LongRunningMethods(typeof(IModel).Assembly).Should().Contain(m => m.Name == "EstimateAll");
        TypeConventions.LongRunningWithoutProgressAndCancellation(typeof(IModel).Assembly).Should().BeEmpty(
            "every Fit, EstimateAll, Search, Merge and Build takes (IProgress<T>? progress, CancellationToken cancellationToken = default) last, or has an overload that does");
    }

    public static TheoryData<string> Estimators => new(UnfittedEstimators.Keys);

    private static readonly Dictionary<string, Func<IUncertaintyEstimator>> UnfittedEstimators = new()
    {
        ["Softmax, calibrated"] = () => new SoftmaxEstimator(Classifier(), SoftmaxScore.Entropy, TemperatureScaling.Fit),
        ["Deep ensemble, calibrated"] = () => new DeepEnsembleEstimator([Classifier(), Classifier()], EnsembleScore.MutualInformation, TemperatureScaling.Fit),
        ["TTA, calibrated"] = () => new TestTimeAugmentationEstimator(Classifier(), TtaPolicy.Flips(), EnsembleScore.MutualInformation, TemperatureScaling.Fit),
        ["Conformal sets"] = () => new ConformalEstimator(Classifier(), 0.2),
        ["Mahalanobis"] = () => new MahalanobisEstimator(Classifier()),
        ["kNN"] = () => new KnnEstimator(Classifier(), new KnnOptions { K = 5 }),
        ["Multi-layer Mahalanobis"] = () => new MultiLayerMahalanobisEstimator(
            new TorchModuleModel(nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(4, 3))), OutputKind.MulticlassLogits), ["flatten", "fc"]),
        ["ReAct"] = () => new ReactEstimator(Classifier(), torch.ones(3, 4)),
        ["DICE"] = () => new DiceEstimator(Classifier(), torch.ones(3, 4)),
        ["fDBD"] = () => new FdbdEstimator(Classifier(), torch.randn(3, 4, generator: torch.manual_seed(5))),
        ["NNGuide"] = () => new NnGuideEstimator(Classifier(), torch.ones(3, 4), null, new NnGuideOptions { K = 5 }),
    };

    [Theory]
    [MemberData(nameof(Estimators))]
    public void Fit_WithCancelledToken_ThrowsOperationCanceledException_AndReportsNothing(string configuration)
    {
        using var scope = torch.NewDisposeScope();
        var estimator = UnfittedEstimators[configuration]();
        var reports = new List<EstimationProgress>();
        var data = new FitData { Training = Batches(), Validation = Batches() };

        var fit = () => estimator.Fit(data, new SynchronousProgress<EstimationProgress>(reports.Add), new CancellationToken(canceled: true));

        fit.Should().Throw<OperationCanceledException>();
        reports.Should().BeEmpty();
        (estimator as IDisposable)?.Dispose();
    }

    [Theory]
    [MemberData(nameof(Estimators))]
    public void Fit_OverACollection_ReportsEveryBatchWithTheTotal(string configuration)
    {
        using var scope = torch.NewDisposeScope();
        var estimator = UnfittedEstimators[configuration]();
        var reports = new List<EstimationProgress>();

        estimator.Fit(new FitData { Training = Batches(), Validation = Batches() }, new SynchronousProgress<EstimationProgress>(reports.Add));

        reports.Should().Equal(new EstimationProgress(1, 20) { TotalSamples = 40 }, new EstimationProgress(2, 40) { TotalSamples = 40 });
        reports[^1].Fraction.Should().Be(1.0);
        (estimator as IDisposable)?.Dispose();
    }

    [Fact]
    public void EstimateAll_WithCancelledToken_ThrowsOperationCanceledException()
    {
        using var scope = torch.NewDisposeScope();
        var act = () => new SoftmaxEstimator(Classifier()).EstimateAll(Batches(), cancellationToken: new CancellationToken(canceled: true));

        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void CandidateCacheBuild_WithCancelledToken_ThrowsOperationCanceledException()
    {
        using var scope = torch.NewDisposeScope();
        var images = new[] { new Batch(torch.rand(4, 1, 6, 6, generator: torch.manual_seed(1)), torch.tensor(new long[] { 0, 1, 2, 0 })) };
        var model = new DelegateModel(x => x.flatten(1).narrow(1, 0, 3), OutputKind.MulticlassLogits);

        var act = () => CandidateCache.Build(model, images, CandidatePool.Medical(count: 2), cancellationToken: new CancellationToken(canceled: true));

        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void GreedyPolicySearchSearch_WithCancelledToken_ThrowsOperationCanceledException()
    {
        using var scope = torch.NewDisposeScope();
        var logProbabilities = torch.randn(3, 10, 2, generator: torch.manual_seed(4)).log_softmax(2);
        var labels = torch.arange(10, dtype: ScalarType.Int64).remainder(2);

        var act = () => GreedyPolicySearch.Search(logProbabilities, labels, cancellationToken: new CancellationToken(canceled: true));

        act.Should().Throw<OperationCanceledException>();
    }

    public static TheoryData<string> OneShotFits => new(OneShotFitCalls.Keys);

    /// <summary>One call of every one-shot fit over N = 40 samples in memory (40 pixels for the pixel calibration; a merge of 40 samples into 10), by family.</summary>
    private static readonly Dictionary<string, Func<IProgress<EstimationProgress>?, CancellationToken, object>> OneShotFitCalls = new()
    {
        ["TemperatureScaling"] = (p, c) => TemperatureScaling.Fit(Logits(), Labels(3), new TemperatureScalingOptions(), p, c),
        ["PlattScaling"] = (p, c) => PlattScaling.Fit(torch.randn(40, generator: torch.manual_seed(5)), Labels(2), p, c),
        ["IsotonicCalibration"] = (p, c) => IsotonicCalibration.Fit(Logits(), Labels(3), p, c),
        ["HistogramBinning"] = (p, c) => HistogramBinning.Fit(Logits(), Labels(3), new HistogramBinningOptions(), p, c),
        ["VectorScaling"] = (p, c) => VectorScaling.Fit(Logits(), Labels(3), p, c),
        ["MatrixScaling"] = (p, c) => MatrixScaling.Fit(Logits(), Labels(3), new MatrixScalingOptions(), p, c),
        ["PixelCalibration.FitTemperature"] = (p, c) => PixelCalibration.FitTemperature(
            torch.randn(2, 3, 4, 5, generator: torch.manual_seed(6)), OutputKind.MulticlassLogits, Labels(3).reshape(2, 4, 5), progress: p, cancellationToken: c),
        ["CovarianceEstimate"] = (p, c) => CovarianceEstimate.Fit(Features(), progress: p, cancellationToken: c),
        ["MahalanobisDetector"] = (p, c) => MahalanobisDetector.Fit(Features(), Labels(2), 2, progress: p, cancellationToken: c),
        ["MultiLayerMahalanobisDetector"] = (p, c) => MultiLayerMahalanobisDetector.Fit([Features(), Features().narrow(1, 0, 2)], Labels(2), 2, progress: p, cancellationToken: c),
        ["MahalanobisDetector.FitClassAgnostic"] = (p, c) => MahalanobisDetector.FitClassAgnostic(Features(), progress: p, cancellationToken: c),
        ["RelativeMahalanobisDetector"] = (p, c) => RelativeMahalanobisDetector.Fit(Features(), Labels(2), 2, progress: p, cancellationToken: c),
        ["VimDetector"] = (p, c) => VimDetector.Fit(Features(), torch.randn(3, 4, generator: torch.manual_seed(7)), progress: p, cancellationToken: c),
        ["DiceDetector"] = (p, c) => DiceDetector.Fit(Features(), torch.randn(3, 4, generator: torch.manual_seed(7)), progress: p, cancellationToken: c),
        ["ReactDetector"] = (p, c) => ReactDetector.Fit(Features(), torch.randn(3, 4, generator: torch.manual_seed(7)), progress: p, cancellationToken: c),
        ["FeatureStatisticsAccumulator.Merge"] = (p, c) =>
        {
            using var other = new FeatureStatisticsAccumulator(2);
            other.Add(Features(), Labels(2));
            var merged = new FeatureStatisticsAccumulator(2);
            merged.Add(Features().narrow(0, 0, 10), Labels(2).narrow(0, 0, 10));
            merged.Merge(other, p, c);
            return merged;
        },
        ["KlMatching"] = (p, c) => KlMatching.Fit(Logits().softmax(1), p, c),
        ["ZScoreCombiner"] = (p, c) => ZScoreCombiner.Fit(ScoresByMethod(), progress: p, cancellationToken: c),
        ["RankCombiner"] = (p, c) => RankCombiner.Fit(ScoresByMethod(), progress: p, cancellationToken: c),
        ["LogisticCombiner"] = (p, c) => LogisticCombiner.Fit(ScoresByMethod(), Labels(2), progress: p, cancellationToken: c),
        ["ConformalClassifier"] = (p, c) => ConformalClassifier.Fit(Logits().softmax(1), Labels(3), progress: p, cancellationToken: c),
        ["ConformalRiskControl"] = (p, c) => ConformalRiskControl.Fit(
            torch.rand(40, 4, 4, generator: torch.manual_seed(8)), torch.rand(40, 4, 4, generator: torch.manual_seed(9)).gt(0.5), progress: p, cancellationToken: c),
        ["ConformalizedQuantileRegression"] = (p, c) => ConformalizedQuantileRegression.Fit(Values(10).sub(1), Values(11).add(1), Values(12), p, c),
        ["SigmaScaling"] = (p, c) => SigmaScaling.Fit(Values(10), Values(11).exp(), Values(12), p, c),
        ["SigmaScaling, spans"] = (p, c) => SigmaScaling.Fit(Doubles(10), Array.ConvertAll(Doubles(11), Math.Exp), Doubles(12), p, c),
        ["SplitConformal.FitAbsolute"] = (p, c) => SplitConformal.FitAbsolute(Values(10), Values(12), p, c),
        ["SplitConformal.FitAbsolute, spans"] = (p, c) => SplitConformal.FitAbsolute(Doubles(10), Doubles(12), p, c),
        ["SplitConformal.FitNormalized"] = (p, c) => SplitConformal.FitNormalized(Values(10), Values(11).exp(), Values(12), p, c),
        ["SplitConformal.FitNormalized, spans"] = (p, c) => SplitConformal.FitNormalized(Doubles(10), Array.ConvertAll(Doubles(11), Math.Exp), Doubles(12), p, c),
    };

    [Theory]
    [MemberData(nameof(OneShotFits))]
    public void OneShotFit_WithCancelledToken_ThrowsOperationCanceledException_AndReportsNothing(string fit)
    {
        using var scope = torch.NewDisposeScope();
        var reports = new List<EstimationProgress>();

        var act = () => OneShotFitCalls[fit](new SynchronousProgress<EstimationProgress>(reports.Add), new CancellationToken(canceled: true));

        act.Should().Throw<OperationCanceledException>();
        reports.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(OneShotFits))]
    public void OneShotFit_EndsWithEverySampleOfTheTotal(string fit)
    {
        using var scope = torch.NewDisposeScope();
        var reports = new List<EstimationProgress>();

        var fitted = OneShotFitCalls[fit](new SynchronousProgress<EstimationProgress>(reports.Add), CancellationToken.None);

        reports.Should().NotBeEmpty();
        reports[^1].Samples.Should().Be(40);
        reports[^1].TotalSamples.Should().Be(40);
        reports[^1].Fraction.Should().Be(1.0);
        (fitted as IDisposable)?.Dispose();
    }

    [Fact]
    public void ConformalRiskControlFit_CancelledAfterTheFirstImage_StopsAtTheNextImage()
    {
        using var scope = torch.NewDisposeScope();
        using var source = new CancellationTokenSource();
        var reports = new List<EstimationProgress>();
        var progress = new SynchronousProgress<EstimationProgress>(report =>
        {
            reports.Add(report);
            source.Cancel();
        });

        var act = () => OneShotFitCalls["ConformalRiskControl"](progress, source.Token);

        act.Should().Throw<OperationCanceledException>();
        reports.Should().Equal(new EstimationProgress(1, 1) { TotalSamples = 40 });
    }

    private static Tensor Logits() => torch.randn(40, 3, generator: torch.manual_seed(1));

    private static Tensor Labels(int classes) => torch.arange(40, dtype: ScalarType.Int64).remainder(classes);

    private static Tensor Features() => torch.randn(40, 4, generator: torch.manual_seed(2));

    private static Tensor Values(int seed) => torch.randn(40, dtype: ScalarType.Float64, generator: torch.manual_seed(seed));

    private static double[] Doubles(int seed) => Values(seed).data<double>().ToArray();

    private static Dictionary<string, Tensor> ScoresByMethod() => new(StringComparer.Ordinal)
    {
        ["a"] = torch.randn(40, generator: torch.manual_seed(3)),
        ["b"] = torch.randn(40, generator: torch.manual_seed(4)),
    };

    /// <summary>A classifier of (N, 1, 2, 2) images with features: logits are the first 3 pixels, features all 4.</summary>
    private static DelegateModel Classifier() => new(x =>
    {
        var pixels = x.flatten(1);
        return (pixels.narrow(1, 0, 3).clone(), pixels.clone());
    }, OutputKind.MulticlassLogits);

    /// <summary>Two labelled batches of 20 images of 2 × 2 pixels, an array (so the total is known).</summary>
    private static Batch[] Batches() =>
    [
        new Batch(torch.randn(20, 1, 2, 2, generator: torch.manual_seed(2)), torch.arange(20, dtype: ScalarType.Int64).remainder(3)),
        new Batch(torch.randn(20, 1, 2, 2, generator: torch.manual_seed(3)), torch.arange(20, dtype: ScalarType.Int64).remainder(3)),
    ];

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
