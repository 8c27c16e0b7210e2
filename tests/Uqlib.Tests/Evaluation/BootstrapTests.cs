using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Evaluation;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Evaluation;

public sealed class BootstrapTests
{
    [Fact]
    public void Ci_SameSeed_GivesTheSameReplicatesWhateverTheParallelism()
    {
        var (scores, failures) = RocEvaluatorTests.Case(3);
        var serial = Bootstrap.Ci(scores, failures, FailureMetric.Auroc, new BootstrapOptions { Resamples = 200, Seed = 5, MaxDegreeOfParallelism = 1 });
        var parallel = Bootstrap.Ci(scores, failures, FailureMetric.Auroc, new BootstrapOptions { Resamples = 200, Seed = 5 });
        var other = Bootstrap.Ci(scores, failures, FailureMetric.Auroc, new BootstrapOptions { Resamples = 200, Seed = 6 });

        parallel.Replicates.Should().Equal(serial.Replicates);
        parallel.Ci.Should().Be(serial.Ci);
        other.Replicates.Should().NotEqual(serial.Replicates);
        serial.Estimate.Should().Be(RocEvaluator.Auroc(scores, failures));
    }

    [Theory]
    [InlineData(FailureMetric.Auroc)]
    [InlineData(FailureMetric.AveragePrecision)]
    [InlineData(FailureMetric.FprAt95Tpr)]
    [InlineData(FailureMetric.Aurc)]
    [InlineData(FailureMetric.EAurc)]
    public void Ci_BuiltInMetric_EqualsTheSameMetricOnMaterialisedResamples(FailureMetric metric)
    {
        var (scores, failures) = RocEvaluatorTests.Case(1);
        var options = new BootstrapOptions { Resamples = 50, Seed = 9 };

        var fast = Bootstrap.Ci(scores, failures, metric, options);
        var slow = Bootstrap.Ci(scores, failures, (s, f) => Select(RocEvaluator.Metrics(s, f)), options);

        fast.Replicates.Should().Equal(slow.Replicates, (a, b) => Math.Abs(a - b) < 1e-12);
        fast.Estimate.Should().BeApproximately(slow.Estimate, 1e-12);

        double Select(RocMetrics metrics) => metric switch
        {
            FailureMetric.Auroc => metrics.Auroc,
            FailureMetric.AveragePrecision => metrics.AveragePrecision,
            FailureMetric.FprAt95Tpr => metrics.FprAt95Tpr,
            FailureMetric.Aurc => metrics.Aurc,
            _ => metrics.EAurc,
        };
    }

    [Fact]
    public void WeightedAuroc_WithTiesAndRandomCounts_EqualsTheWeightedWalkExactly()
    {
        var random = new Random(4);
        var scores = new double[3_000];
        var failures = new bool[scores.Length];
        for (var i = 0; i < scores.Length; i++)
        {
            failures[i] = random.NextDouble() < 0.3;
            scores[i] = Math.Round(random.NextDouble() + (failures[i] ? 0.2 : 0), 2); // many ties within and across classes
        }

        var ranked = RankedCases.Create(scores, failures);
        var (below, atOrBelow) = ranked.SuccessRanks();
        var prefix = new long[ranked.SuccessScores.Length + 1];
        for (var trial = 0; trial < 20; trial++)
        {
            var failureCounts = Enumerable.Range(0, ranked.FailureScores.Length).Select(_ => random.Next(4)).ToArray();
            var successCounts = Enumerable.Range(0, ranked.SuccessScores.Length).Select(_ => random.Next(4)).ToArray();

            RankedCases.WeightedAuroc(below, atOrBelow, failureCounts, successCounts, prefix)
                .Should().Be(ranked.Metrics(failureCounts, successCounts).Auroc);
        }

        var ones = Enumerable.Repeat(1, ranked.FailureScores.Length).ToArray();
        var successOnes = Enumerable.Repeat(1, ranked.SuccessScores.Length).ToArray();
        RankedCases.WeightedAuroc(below, atOrBelow, ones, successOnes, prefix).Should().Be(RocEvaluator.Auroc(scores, failures));
    }

    [Fact]
    public void Ci_StandardError_AgreesWithDeLong()
    {
        var (scores, failures) = RocEvaluatorTests.Case(3);
        var result = Bootstrap.Ci(scores, failures, FailureMetric.Auroc, new BootstrapOptions { Resamples = 4000, Seed = 1 });
        var delong = Math.Sqrt(DeLong.Variance(scores, failures));

        // The two estimate the same standard error; with 4,000 resamples the Monte-Carlo error is about 1%.
        (result.StandardError / delong).Should().BeInRange(0.9, 1.1);
        result.Ci.Lower.Should().BeLessThan(result.Estimate);
        result.Ci.Upper.Should().BeGreaterThan(result.Estimate);
    }

    [Fact]
    public void Ci_CoversTheTrueAuroc_NearTheNominalRate()
    {
        var truth = MathNet.Numerics.Distributions.Normal.CDF(0, 1, 1 / Math.Sqrt(2));
        var random = new Random(77);
        var covered = 0;
        const int Trials = 200;
        for (var t = 0; t < Trials; t++)
        {
            var failures = Enumerable.Range(0, 150).Select(i => i % 3 == 0).ToArray();
            var scores = failures.Select(f => Gaussian(random) + (f ? 1 : 0)).ToArray();
            var ci = Bootstrap.Ci(scores, failures, FailureMetric.Auroc, new BootstrapOptions { Resamples = 300, Seed = t }).Ci;
            covered += ci.Lower <= truth && truth <= ci.Upper ? 1 : 0;
        }

        // Nominal 95%; percentile intervals undercover slightly at this size; binomial sd at 200 trials is 1.5%.
        (covered / (double)Trials).Should().BeInRange(0.88, 0.99);
    }

    [Fact]
    public void Ci_ReportsProgress_AndCanBeCancelled()
    {
        var (scores, failures) = RocEvaluatorTests.Case(3);
        var reports = new List<EstimationProgress>();
        var progress = new Uqlib.Tests.TestSupport.SynchronousProgress<EstimationProgress>(reports.Add);
        Bootstrap.Ci(scores, failures, FailureMetric.Aurc, new BootstrapOptions { Resamples = 300, MaxDegreeOfParallelism = 1 }, progress);
        reports.Should().HaveCount(100);
        reports.Select(r => r.Samples).Should().BeInAscendingOrder().And.Equal(reports.Select(r => (long)r.Batches));
        reports.Should().OnlyContain(r => r.TotalSamples == 300);
        reports[^1].Should().Be(new EstimationProgress(300, 300) { TotalSamples = 300 });
        reports[^1].Fraction.Should().Be(1.0);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        FluentActions.Invoking(() => Bootstrap.Ci(scores, failures, FailureMetric.Auroc, cancellationToken: cancelled.Token))
            .Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Ci_Tensors_EqualSpans()
    {
        var (scores, failures) = RocEvaluatorTests.Case(0);
        using var s = torch.tensor(scores);
        using var f = torch.tensor(failures);
        Bootstrap.Ci(s, f, FailureMetric.Auroc, new BootstrapOptions { Resamples = 20 }).Replicates
            .Should().Equal(Bootstrap.Ci(scores, failures, FailureMetric.Auroc, new BootstrapOptions { Resamples = 20 }).Replicates);
    }

    [Fact]
    public void Quantile_MatchesNumPyLinearInterpolation()
    {
        var sorted = new[] { 1.0, 2, 3, 4 };
        Bootstrap.Quantile(sorted, 0.25).Should().Be(1.75);
        Bootstrap.Quantile(sorted, 0.975).Should().BeApproximately(3.925, 1e-15);
        Bootstrap.Quantile(sorted, 0).Should().Be(1);
        Bootstrap.Quantile(sorted, 1).Should().Be(4);
    }

    [Fact]
    public void Ci_BadInput_ThrowsClearErrors()
    {
        var failures = new[] { true, false, true };
        FluentActions.Invoking(() => Bootstrap.Ci(new[] { 0.1, double.NaN, 0.3 }, failures, FailureMetric.Auroc))
            .Should().Throw<ArgumentException>().WithParameterName("scores");
        FluentActions.Invoking(() => Bootstrap.Ci(new[] { 0.1, 0.2 }, failures, FailureMetric.Auroc))
            .Should().Throw<ArgumentException>().WithParameterName("failures");
        FluentActions.Invoking(() => Bootstrap.Ci(Array.Empty<double>(), Array.Empty<bool>(), FailureMetric.Auroc))
            .Should().Throw<ArgumentException>().WithParameterName("scores");
        FluentActions.Invoking(() => Bootstrap.Ci(new[] { 0.1, 0.2, 0.3 }, failures, (FailureMetric)42))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("metric");
        FluentActions.Invoking(() => Bootstrap.Ci(new[] { 0.1, 0.2, 0.3 }, failures, FailureMetric.Auroc, new BootstrapOptions { Resamples = 1, ConfidenceLevel = double.NaN, MaxDegreeOfParallelism = 0 }))
            .Should().Throw<ArgumentException>().WithMessage("*Resamples*ConfidenceLevel*MaxDegreeOfParallelism*");
        FluentActions.Invoking(() => Bootstrap.Ci(new[] { 0.1, 0.2, 0.3, 0.4 }, new[] { true, false, true, false }, (_, _) => double.NaN))
            .Should().Throw<ArgumentException>().WithParameterName("metric").WithMessage("*NaN*");
    }

    public static TheoryData<FailureMetric> FailureMetrics => new()
    {
        FailureMetric.Auroc, FailureMetric.AveragePrecision, FailureMetric.FprAt95Tpr, FailureMetric.Aurc, FailureMetric.EAurc, FailureMetric.ReferralRate,
    };

    public static TheoryData<CalibrationMetric> CalibrationMetrics => new()
    {
        CalibrationMetric.Ece, CalibrationMetric.BrierScore, CalibrationMetric.NegativeLogLikelihood, CalibrationMetric.Accuracy,
    };

    [Fact]
    public void Ci_ReferralRate_EqualsTheEvaluatorsReviewFractionOnMaterialisedResamples()
    {
        var (scores, failures) = RocEvaluatorTests.Case(1);
        var options = new BootstrapOptions { Resamples = 50, Seed = 9, TargetSensitivity = 0.8 };

        var fast = Bootstrap.Ci(scores, failures, FailureMetric.ReferralRate, options);
        var slow = Bootstrap.Ci(scores, failures, (s, f) => RocEvaluator.Evaluate(s, f, new RocOptions { TargetSensitivity = 0.8 }).ForTargetSensitivity.FractionFlagged, options);

        fast.Replicates.Should().Equal(slow.Replicates, (a, b) => Math.Abs(a - b) < 1e-12);
        fast.Estimate.Should().Be(RocEvaluator.Evaluate(scores, failures, new RocOptions { TargetSensitivity = 0.8 }).ForTargetSensitivity.FractionFlagged);
    }

    [Theory]
    [MemberData(nameof(FailureMetrics))]
    public void ClusterCi_ClustersOfUniformCopies_EqualSingletonClustersOfTheOriginals(FailureMetric metric)
    {
        // Every metric is invariant to repeating every case k times, so resampling clusters of k copies must give exactly the replicates
        // of resampling the single originals: the cluster, not the case, is drawn.
        var (scores, _, failures, _) = ClusteredAurocTests.Case(0);
        var repeated = Enumerable.Range(0, scores.Length).SelectMany(i => Enumerable.Repeat(i, 3)).ToArray();
        var options = new BootstrapOptions { Resamples = 60, Seed = 3 };

        var single = Bootstrap.Ci(scores, failures, ClusterIds.From(Enumerable.Range(0, scores.Length).Select(i => (long)i).ToArray()), metric, options);
        var grouped = Bootstrap.Ci(
            repeated.Select(i => scores[i]).ToArray(), repeated.Select(i => failures[i]).ToArray(), ClusterIds.From(repeated.Select(i => (long)i).ToArray()), metric, options);

        grouped.Replicates.Should().Equal(single.Replicates, (a, b) => Math.Abs(a - b) < 1e-12);
        grouped.Ci.Lower.Should().BeApproximately(single.Ci.Lower, 1e-12);
        grouped.Ci.Upper.Should().BeApproximately(single.Ci.Upper, 1e-12);
    }

    [Theory]
    [MemberData(nameof(CalibrationMetrics))]
    public void ClusterCi_Calibration_ClustersOfUniformCopiesEqualSingletons_AndEstimateEqualsCalibrationMetrics(CalibrationMetric metric)
    {
        var random = new Random(4);
        const int N = 90, C = 3;
        var probabilities = new double[N * C];
        var labels = new int[N];
        for (var i = 0; i < N; i++)
        {
            var logits = Enumerable.Range(0, C).Select(_ => 2 * Gaussian(random)).ToArray();
            var z = logits.Sum(Math.Exp);
            for (var c = 0; c < C; c++)
            {
                probabilities[(i * C) + c] = Math.Exp(logits[c]) / z;
            }

            labels[i] = random.Next(C);
        }

        var repeated = Enumerable.Range(0, N).SelectMany(i => Enumerable.Repeat(i, 2)).ToArray();
        var options = new BootstrapOptions { Resamples = 40, Seed = 8 };
        var single = Bootstrap.Ci(probabilities, labels, ClusterIds.From(Enumerable.Range(0, N).Select(i => (long)i).ToArray()), metric, options);
        var grouped = Bootstrap.Ci(
            repeated.SelectMany(i => probabilities.Skip(i * C).Take(C)).ToArray(), repeated.Select(i => labels[i]).ToArray(),
            ClusterIds.From(repeated.Select(i => (long)i).ToArray()), metric, options);

        grouped.Replicates.Should().Equal(single.Replicates, (a, b) => Math.Abs(a - b) < 1e-12);
        var expected = metric switch
        {
            CalibrationMetric.Ece => Uqlib.Calibration.CalibrationMetrics.Ece(probabilities, labels),
            CalibrationMetric.BrierScore => Uqlib.Calibration.CalibrationMetrics.BrierScore(probabilities, labels),
            CalibrationMetric.NegativeLogLikelihood => Uqlib.Calibration.CalibrationMetrics.NegativeLogLikelihood(probabilities, labels),
            _ => Enumerable.Range(0, N).Count(i => Enumerable.Range(0, C).MaxBy(c => probabilities[(i * C) + c]) == labels[i]) / (double)N,
        };
        single.Estimate.Should().BeApproximately(expected, 1e-12);
        single.Ci.Lower.Should().BeLessThanOrEqualTo(single.Estimate + 0.05);
        single.Ci.Upper.Should().BeGreaterThan(single.Ci.Lower);
    }

    [Fact]
    public void ClusterCi_Calibration_Tensors_EqualSpans()
    {
        var probabilities = new[] { 0.9, 0.2, 0.7, 0.4, 0.6, 0.1, 0.8, 0.3 };
        var labels = new[] { 1, 0, 0, 1, 1, 0, 1, 1 };
        var clusters = ClusterIds.From(new long[] { 1, 1, 2, 2, 3, 3, 4, 4 });
        var options = new BootstrapOptions { Resamples = 30, Seed = 2 };
        using var p = torch.tensor(probabilities);
        using var y = torch.tensor(labels.Select(v => (long)v).ToArray());

        Bootstrap.Ci(p, y, clusters, CalibrationMetric.BrierScore, options).Replicates
            .Should().Equal(Bootstrap.Ci(probabilities, labels, clusters, CalibrationMetric.BrierScore, options).Replicates);
    }

    [Fact]
    public void ClusterCi_StandardError_AgreesWithObuchowski_AndExceedsTheCaseBootstrap()
    {
        var (scores, failures, clusters) = ClusteredData(new Random(21), 120, 8);
        var options = new BootstrapOptions { Resamples = 4000, Seed = 1 };

        var clustered = Bootstrap.Ci(scores, failures, clusters, FailureMetric.Auroc, options);
        var cases = Bootstrap.Ci(scores, failures, FailureMetric.Auroc, options);
        var obuchowski = ClusteredAuroc.Estimate(scores, failures, clusters).StandardError;

        // The two estimate the same standard error; Monte-Carlo error at 4,000 resamples is about 1%, the two estimators differ by a few %.
        (clustered.StandardError / obuchowski).Should().BeInRange(0.85, 1.15);
        cases.StandardError.Should().BeLessThan(0.8 * clustered.StandardError, "a case bootstrap ignores the correlation within clusters");
    }

    [Fact]
    public void ClusterCi_SameSeed_GivesTheSameReplicatesWhateverTheParallelism()
    {
        var (scores, failures, clusters) = ClusteredData(new Random(2), 30, 5);
        var serial = Bootstrap.Ci(scores, failures, clusters, FailureMetric.Aurc, new BootstrapOptions { Resamples = 100, Seed = 5, MaxDegreeOfParallelism = 1, Interval = BootstrapInterval.Bca });
        var parallel = Bootstrap.Ci(scores, failures, clusters, FailureMetric.Aurc, new BootstrapOptions { Resamples = 100, Seed = 5, Interval = BootstrapInterval.Bca });

        parallel.Replicates.Should().Equal(serial.Replicates);
        parallel.Ci.Should().Be(serial.Ci);
    }

    [Fact]
    public void ClusterCi_OnlyClustersWithFailures_RedrawsResamplesWithoutSuccesses()
    {
        // Every cluster holds a failure (one stratum); clusters 1 and 2 hold only failures, so some draws lack successes and are redrawn.
        // One success outscores two failures, so the AUROC varies between resamples (a perfectly separating score has no interval).
        var scores = new[] { 0.9, 0.8, 0.7, 0.75, 0.6, 0.2, 0.5, 0.1 };
        var failures = new[] { true, true, true, false, true, false, true, false };
        var clusters = ClusterIds.From(new long[] { 1, 2, 3, 3, 4, 4, 5, 5 });

        var result = Bootstrap.Ci(scores, failures, clusters, FailureMetric.Auroc, new BootstrapOptions { Resamples = 200 });

        result.Replicates.Should().OnlyContain(r => r >= 0 && r <= 1);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Bca_MatchesSciPy(int index)
    {
        var golden = Golden.Load("bootstrap_bca.json").GetProperty("cases")[index];

        var result = Bootstrap.Bca(
            golden.GetProperty("estimate").GetDouble(), Golden.Vector(golden.GetProperty("replicates")), Golden.Vector(golden.GetProperty("jackknife")),
            golden.GetProperty("level").GetDouble());

        result.Ci.Lower.Should().BeApproximately(golden.GetProperty("lower").GetDouble(), 1e-12);
        result.Ci.Upper.Should().BeApproximately(golden.GetProperty("upper").GetDouble(), 1e-12);
    }

    [Fact]
    public void Bca_EveryReplicateOnOneSide_IsRefused()
    {
        FluentActions.Invoking(() => Bootstrap.Bca(0.5, new[] { 0.6, 0.7, 0.8 }, new[] { 0.4, 0.5, 0.6 }, 0.95))
            .Should().Throw<ArgumentException>().WithParameterName("options").WithMessage("*BCa*undefined*");
    }

    [Fact]
    public void Ci_Bca_DiffersFromThePercentileIntervalOfTheSameReplicates()
    {
        var (scores, failures) = RocEvaluatorTests.Case(0);
        var percentile = Bootstrap.Ci(scores, failures, FailureMetric.Aurc, new BootstrapOptions { Resamples = 500, Seed = 4 });
        var bca = Bootstrap.Ci(scores, failures, FailureMetric.Aurc, new BootstrapOptions { Resamples = 500, Seed = 4, Interval = BootstrapInterval.Bca });
        var generic = Bootstrap.Ci(scores, failures, (s, f) => RocEvaluator.Evaluate(s, f).Aurc, new BootstrapOptions { Resamples = 500, Seed = 4, Interval = BootstrapInterval.Bca });

        bca.Replicates.Should().Equal(percentile.Replicates);
        bca.Ci.Should().NotBe(percentile.Ci);
        generic.Ci.Lower.Should().BeApproximately(bca.Ci.Lower, 1e-12);
        generic.Ci.Upper.Should().BeApproximately(bca.Ci.Upper, 1e-12);
    }

    [Fact]
    public void ClusterCi_BadInput_NamesTheArgument()
    {
        var (scores, _, failures, ids) = ClusteredAurocTests.Case(0);
        FluentActions.Invoking(() => Bootstrap.Ci(scores, failures, ClusterIds.From(ids.Skip(2).ToArray()), FailureMetric.AveragePrecision))
            .Should().Throw<ArgumentException>().WithParameterName("clusters");
        FluentActions.Invoking(() => Bootstrap.Ci(scores, failures, null!, FailureMetric.Auroc))
            .Should().Throw<ArgumentNullException>().WithParameterName("clusters");
        FluentActions.Invoking(() => Bootstrap.Ci(scores, failures, ClusterIds.From(new long[scores.Length]), FailureMetric.Auroc))
            .Should().Throw<ArgumentException>().WithParameterName("clusters").WithMessage("*single cluster*");
        FluentActions.Invoking(() => Bootstrap.Ci(new[] { 0.2, 0.8 }, new[] { 0, 1 }, ClusterIds.From(new long[] { 4, 4 }), CalibrationMetric.Ece))
            .Should().Throw<ArgumentException>().WithParameterName("clusters").WithMessage("*single cluster*");
        FluentActions.Invoking(() => Bootstrap.Ci(new[] { 0.2, 0.8 }, new[] { 0, 1 }, ClusterIds.From(new long[] { 4, 5, 6 }), CalibrationMetric.Ece))
            .Should().Throw<ArgumentException>().WithParameterName("clusters");
        FluentActions.Invoking(() => Bootstrap.Ci(new[] { 0.2, 0.8 }, new[] { 0, 1 }, ClusterIds.From(new long[] { 4, 5 }), (CalibrationMetric)9))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("metric");
        FluentActions.Invoking(() => Bootstrap.Ci(scores, failures, FailureMetric.Auroc, new BootstrapOptions { TargetSensitivity = 0, Bins = 0, Interval = (BootstrapInterval)7 }))
            .Should().Throw<ArgumentException>().WithMessage("*Interval*TargetSensitivity*Bins*");
    }

    /// <summary>Clusters with a shared score shift and a cluster-level failure rate (0.6 or 0.2), as in the coverage test of <see cref="ClusteredAurocTests"/>.</summary>
    internal static (double[] Scores, bool[] Failures, ClusterIds Clusters) ClusteredData(Random random, int clusters, int size)
    {
        var scores = new double[clusters * size];
        var failures = new bool[clusters * size];
        for (var c = 0; c < clusters; c++)
        {
            var effect = Gaussian(random);
            var rate = random.NextDouble() < 0.5 ? 0.6 : 0.2;
            for (var k = 0; k < size; k++)
            {
                var i = (c * size) + k;
                failures[i] = random.NextDouble() < rate;
                scores[i] = effect + (failures[i] ? 1 : 0) + (0.5 * Gaussian(random));
            }
        }

        return (scores, failures, ClusterIds.From(Enumerable.Range(0, clusters * size).Select(i => (long)(i / size)).ToArray()));
    }

    private static double Gaussian(Random random)
    {
        return Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    }

    [Fact]
    public void Ci_OfOneFailure_ThrowsNamingFailures()
    {
        var scores = new[] { 0.9, 0.1, 0.2, 0.3, 0.5 };
        var failures = new[] { true, false, false, false, false };
        FluentActions.Invoking(() => Bootstrap.Ci(scores, failures, FailureMetric.Auroc)).Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*at least 2 of each*");
        FluentActions.Invoking(() => Bootstrap.Ci(scores, failures, (s, f) => s[0])).Should().Throw<ArgumentException>().WithParameterName("failures");
    }

    [Fact]
    public void Ci_OfPerfectSeparation_ThrowsInsteadOfAZeroWidthInterval()
    {
        var scores = new[] { 0.9, 0.8, 0.7, 0.3, 0.2, 0.1 };
        var failures = new[] { true, true, true, false, false, false };
        FluentActions.Invoking(() => Bootstrap.Ci(scores, failures, FailureMetric.Auroc, new BootstrapOptions { Resamples = 200 })).Should().Throw<ArgumentException>().WithMessage("*zero width*");
    }
}
