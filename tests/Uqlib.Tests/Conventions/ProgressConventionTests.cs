using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Calibration;
using Uqlib.Conformal;
using Uqlib.Ensembles;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Scores;
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
    /// <summary>
    /// The one-shot fits of the functional core over tensors already in memory that have no overload with progress and cancellation yet.
    /// The list may only shrink: <see cref="PendingList_HoldsOnlyMethodsThatStillLackTheParameters"/> fails once an entry gets them.
    /// </summary>
    private static readonly HashSet<string> Pending = new(StringComparer.Ordinal)
    {
        "ConformalClassifier.Fit(Tensor, Tensor, ConformalSetOptions, Tensor, Tensor)",
        "ConformalRiskControl.Fit(Tensor, Tensor, IMonotoneLoss)",
        "ConformalizedQuantileRegression.Fit(Tensor, Tensor, Tensor)",
        "CovarianceEstimate.Fit(Tensor, CovarianceMethod, Boolean)",
        "HistogramBinning.Fit(Tensor, Tensor)",
        "HistogramBinning.Fit(Tensor, Tensor, HistogramBinningOptions)",
        "IsotonicCalibration.Fit(Tensor, Tensor)",
        "KlMatching.Fit(Tensor)",
        "KnnDetector.Fit(Tensor, KnnOptions)",
        "LogisticCombiner.Fit(IReadOnlyDictionary`2, Tensor, Double)",
        "MahalanobisDetector.Fit(Tensor, Tensor, Int32, CovarianceMethod)",
        "MahalanobisDetector.FitClassAgnostic(Tensor, CovarianceMethod)",
        "MatrixScaling.Fit(Tensor, Tensor)",
        "MatrixScaling.Fit(Tensor, Tensor, MatrixScalingOptions)",
        "PixelCalibration.FitTemperature(Tensor, OutputKind, Tensor, Tensor, PixelCalibrationOptions)",
        "PlattScaling.Fit(Tensor, Tensor)",
        "RankCombiner.Fit(IReadOnlyDictionary`2, IReadOnlyDictionary`2)",
        "RelativeMahalanobisDetector.Fit(Tensor, Tensor, Int32, CovarianceMethod)",
        "SigmaScaling.Fit(ReadOnlySpan`1, ReadOnlySpan`1, ReadOnlySpan`1)",
        "SigmaScaling.Fit(Tensor, Tensor, Tensor)",
        "SplitConformal.FitAbsolute(ReadOnlySpan`1, ReadOnlySpan`1)",
        "SplitConformal.FitAbsolute(Tensor, Tensor)",
        "SplitConformal.FitNormalized(ReadOnlySpan`1, ReadOnlySpan`1, ReadOnlySpan`1)",
        "SplitConformal.FitNormalized(Tensor, Tensor, Tensor)",
        "TemperatureScaling.Fit(Tensor, Tensor)",
        "TemperatureScaling.Fit(Tensor, Tensor, TemperatureScalingOptions)",
        "VectorScaling.Fit(Tensor, Tensor)",
        "VimDetector.Fit(Tensor, Tensor, Tensor, VimOptions)",
        "ZScoreCombiner.Fit(IReadOnlyDictionary`2, IReadOnlyDictionary`2)",
    };

    [Fact]
    public void LongRunningMethods_TakeProgressAndCancellationLast()
    {
        TypeConventions.LongRunningMethods(typeof(IModel).Assembly).Should().Contain(m => m.Name == "EstimateAll");
        TypeConventions.LongRunningWithoutProgressAndCancellation(typeof(IModel).Assembly).Except(Pending).Should().BeEmpty(
            "every Fit, EstimateAll, Search, Merge and Build takes (IProgress<T>? progress, CancellationToken cancellationToken = default) last, or has an overload that does");
    }

    [Fact]
    public void PendingList_HoldsOnlyMethodsThatStillLackTheParameters()
    {
        Pending.Except(TypeConventions.LongRunningWithoutProgressAndCancellation(typeof(IModel).Assembly)).Should().BeEmpty();
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
