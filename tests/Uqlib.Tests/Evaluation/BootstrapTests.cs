using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Evaluation;
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
        var slow = Bootstrap.Ci(scores, failures, (s, f) => Bootstrap.Select(RocEvaluator.Metrics(s, f), metric), options);

        fast.Replicates.Should().Equal(slow.Replicates, (a, b) => Math.Abs(a - b) < 1e-12);
        fast.Estimate.Should().BeApproximately(slow.Estimate, 1e-12);
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
        var reports = new List<int>();
        var progress = new SynchronousProgress(reports);
        Bootstrap.Ci(scores, failures, FailureMetric.Aurc, new BootstrapOptions { Resamples = 300, MaxDegreeOfParallelism = 1 }, progress);
        reports.Should().HaveCount(100).And.BeInAscendingOrder();
        reports[^1].Should().Be(300);

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

    private static double Gaussian(Random random)
    {
        return Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    }

    private sealed class SynchronousProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
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
