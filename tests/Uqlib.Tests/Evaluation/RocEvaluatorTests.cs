using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Evaluation;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Evaluation;

public sealed class RocEvaluatorTests
{
    private const double Tolerance = 1e-12;
    private static readonly JsonElement Reference = Golden.Load("roc_reference.json");

    public static TheoryData<int> Cases => new() { 0, 1, 2, 3 };

    internal static (double[] Scores, bool[] Failures) Case(int index, string scores = "scores")
    {
        var c = Reference.GetProperty("cases")[index];
        return (Golden.Vector(c.GetProperty(scores)), Golden.Vector(c.GetProperty("failures")).Select(v => v == 1).ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_Metrics_MatchScikitLearnAndDirectDefinitions(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        var (scores, failures) = Case(index);

        var result = RocEvaluator.Evaluate(scores, failures);

        result.Auroc.Should().BeApproximately(golden.GetProperty("auroc").GetDouble(), Tolerance);
        result.Aupr.Should().BeApproximately(golden.GetProperty("averagePrecision").GetDouble(), Tolerance);
        result.FprAt95Tpr.Should().BeApproximately(golden.GetProperty("fprAt95Tpr").GetDouble(), Tolerance);
        result.Aurc.Should().BeApproximately(golden.GetProperty("aurc").GetDouble(), Tolerance);
        result.EAurc.Should().BeApproximately(golden.GetProperty("eAurc").GetDouble(), Tolerance);
        result.Cases.Should().Be(scores.Length);
        result.Failures.Should().Be(failures.Count(f => f));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Evaluate_Augrc_MatchesTheNumPyReferenceOfTraubEtAl(int index)
    {
        var golden = Golden.Load("ood_evaluation.json").GetProperty("failures")[index];
        var scores = Golden.Vector(golden.GetProperty("scores"));
        var failures = golden.GetProperty("failures").EnumerateArray().Select(e => e.GetBoolean()).ToArray();

        var result = RocEvaluator.Evaluate(scores, failures);

        result.Augrc.Should().BeApproximately(golden.GetProperty("augrc").GetDouble(), Tolerance);
        Bootstrap.Ci(scores, failures, FailureMetric.Augrc, new BootstrapOptions { Resamples = 50 }).Estimate.Should().Be(result.Augrc);
    }

    [Fact]
    public void Evaluate_Augrc_IdealScoreGivesHalfTheSquaredFailureRate()
    {
        var failures = Enumerable.Range(0, 200).Select(i => i % 5 == 0).ToArray();
        var ideal = failures.Select((f, i) => f ? 10.0 + i : i / 1000.0).ToArray();

        RocEvaluator.Evaluate(ideal, failures).Augrc.Should().BeApproximately(0.5 * 0.2 * 0.2, 1e-12);
    }

    [Fact]
    public void Evaluate_Augrc_RandomScoresAverageHalfTheFailureRate()
    {
        // Over 400 seeded random scorings of 1,000 cases at failure rate 0.3 the mean AUGRC is r/2 = 0.15; its standard error is far below 1e-3.
        var random = new Random(5);
        var failures = Enumerable.Range(0, 1000).Select(i => i % 10 < 3).ToArray();
        var mean = Enumerable.Range(0, 400).Select(_ => RocEvaluator.Evaluate(failures.Select(_ => random.NextDouble()).ToArray(), failures).Augrc).Average();

        mean.Should().BeApproximately(0.15, 0.002);
    }

    [Fact]
    public void Evaluate_WithClusters_ReportsObuchowskisIntervalAndTheClusterSummary()
    {
        var (a, _, failures, ids) = ClusteredAurocTests.Case(3);
        var golden = Golden.Load("clustered_auroc.json").GetProperty("cases")[3];
        var clusters = ClusterIds.From(ids);
        using var scope = torch.NewDisposeScope();

        var result = RocEvaluator.Evaluate(a, failures, clusters, new RocOptions { ConfidenceLevel = 0.9 });
        var fromTensors = RocEvaluator.Evaluate(torch.tensor(a), torch.tensor(failures), clusters, new RocOptions { ConfidenceLevel = 0.9 });
        var plain = RocEvaluator.Evaluate(a, failures);

        result.AurocCi!.Lower.Should().BeApproximately(golden.GetProperty("ci90A")[0].GetDouble(), 1e-10);
        result.AurocCi.Upper.Should().BeApproximately(golden.GetProperty("ci90A")[1].GetDouble(), 1e-10);
        result.Clusters.Should().Be(new ClusterSummary(16, golden.GetProperty("clustersWithFailures").GetInt32(), 1, 2, 30));
        result.Auroc.Should().Be(plain.Auroc);
        result.Aupr.Should().Be(plain.Aupr);
        plain.Clusters.Should().BeNull();
        fromTensors.AurocCi.Should().Be(result.AurocCi);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_Curves_MatchScikitLearn(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        var (scores, failures) = Case(index);

        var result = RocEvaluator.Evaluate(scores, failures);

        ShouldEqual(result.Roc.FalsePositiveRates, golden.GetProperty("rocFpr"));
        ShouldEqual(result.Roc.TruePositiveRates, golden.GetProperty("rocTpr"));
        ShouldEqual(result.Roc.Thresholds, golden.GetProperty("rocThresholds"));
        ShouldEqual(result.PrecisionRecall.Precision, golden.GetProperty("precision"));
        ShouldEqual(result.PrecisionRecall.Recall, golden.GetProperty("recall"));
        ShouldEqual(result.PrecisionRecall.Thresholds, golden.GetProperty("prThresholds"));
        ShouldEqual(result.RiskCoverage.Coverages, golden.GetProperty("coverage"));
        ShouldEqual(result.RiskCoverage.Risks, golden.GetProperty("risk"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_OperatingPoints_MatchBruteForce(int index)
    {
        var golden = Reference.GetProperty("cases")[index];
        var (scores, failures) = Case(index);
        var median = golden.GetProperty("atMedian").GetProperty("threshold").GetDouble();

        var result = RocEvaluator.Evaluate(scores, failures, new RocOptions { Threshold = median, TargetSensitivity = 0.9 });

        ShouldEqual(result.AtThreshold!, golden.GetProperty("atMedian"));
        ShouldEqual(result.ForTargetSensitivity, golden.GetProperty("forSensitivity90"));
        ShouldEqual(result.Youden, golden.GetProperty("youden"));
        ShouldEqual(RocEvaluator.AtThreshold(scores, failures, median), golden.GetProperty("atMedian"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_AurocCi_MatchesPRocDeLong(int index)
    {
        var delong = Reference.GetProperty("cases")[index].GetProperty("delong");
        var (scores, failures) = Case(index);

        var ci95 = RocEvaluator.Evaluate(scores, failures).AurocCi!;
        var ci90 = RocEvaluator.Evaluate(scores, failures, new RocOptions { ConfidenceLevel = 0.9 }).AurocCi!;

        ci95.Lower.Should().BeApproximately(delong.GetProperty("ci95")[0].GetDouble(), Tolerance);
        ci95.Upper.Should().BeApproximately(delong.GetProperty("ci95")[1].GetDouble(), Tolerance);
        ci95.Level.Should().Be(0.95);
        ci90.Lower.Should().BeApproximately(delong.GetProperty("ci90")[0].GetDouble(), Tolerance);
        ci90.Upper.Should().BeApproximately(delong.GetProperty("ci90")[1].GetDouble(), Tolerance);
    }

    [Fact]
    public void Evaluate_Tensors_EqualSpans()
    {
        var (scores, failures) = Case(1);
        using var scoreTensor = torch.tensor(scores);
        using var failureTensor = torch.tensor(failures.Select(f => f ? 1L : 0L).ToArray());
        using var floatScores = scoreTensor.to(ScalarType.Float32);
        using var boolFailures = torch.tensor(failures);
        var before = LiveTensors.Count;

        var fromTensors = RocEvaluator.Evaluate(scoreTensor, failureTensor);
        var fromFloat = RocEvaluator.Evaluate(floatScores, boolFailures);

        LiveTensors.Count.Should().Be(before);
        fromTensors.Auroc.Should().Be(RocEvaluator.Evaluate(scores, failures).Auroc);
        var floatScoresArray = scores.Select(s => (double)(float)s).ToArray();
        fromFloat.Auroc.Should().Be(RocEvaluator.Auroc(floatScoresArray, failures));
    }

    [Fact]
    public void Auroc_OfReversedScores_IsOneMinusAuroc()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 20; trial++)
        {
            var (scores, failures) = RandomCases(random, 200, trial % 2 == 0 ? 0.25 : 0);
            var reversed = scores.Select(s => -s).ToArray();
            (RocEvaluator.Auroc(scores, failures) + RocEvaluator.Auroc(reversed, failures)).Should().BeApproximately(1.0, 1e-14);
        }
    }

    [Fact]
    public void Evaluate_IsInvariantToMonotoneTransforms()
    {
        var (scores, failures) = RandomCases(new Random(11), 500, 0.1);
        var transformed = scores.Select(s => Math.Exp(2 * s) + 3).ToArray();

        var a = RocEvaluator.Evaluate(scores, failures);
        var b = RocEvaluator.Evaluate(transformed, failures);

        b.Auroc.Should().Be(a.Auroc);
        b.Aupr.Should().Be(a.Aupr);
        b.FprAt95Tpr.Should().Be(a.FprAt95Tpr);
        b.Aurc.Should().Be(a.Aurc);
        b.AurocCi.Should().Be(a.AurocCi);
    }

    [Fact]
    public void Auroc_MatchesMannWhitneyCount_OnLargeTiedData()
    {
        var (scores, failures) = RandomCases(new Random(3), 20_000, 0.5);
        double pairs = 0, wins = 0;
        var fa = scores.Where((_, i) => failures[i]).OrderBy(s => s).ToArray();
        var su = scores.Where((_, i) => !failures[i]).ToArray();
        foreach (var s in su)
        {
            var below = LowerBound(fa, s);
            var upTo = LowerBound(fa, Math.BitIncrement(s));
            wins += fa.Length - upTo + (0.5 * (upTo - below));
            pairs += fa.Length;
        }

        RocEvaluator.Auroc(scores, failures).Should().BeApproximately(wins / pairs, 1e-14);
    }

    [Fact]
    public void Evaluate_PerfectAndWorstScores_GiveExtremes()
    {
        var failures = new[] { false, false, true, true };
        var perfect = RocEvaluator.Evaluate(new[] { 0.1, 0.2, 0.8, 0.9 }, failures);
        var worst = RocEvaluator.Evaluate(new[] { 0.9, 0.8, 0.2, 0.1 }, failures);

        perfect.Auroc.Should().Be(1);
        perfect.Aupr.Should().Be(1);
        perfect.FprAt95Tpr.Should().Be(0);
        perfect.EAurc.Should().BeApproximately(perfect.Aurc - (0.5 + (0.5 * Math.Log(0.5))), 1e-15);
        worst.Auroc.Should().Be(0);
        worst.FprAt95Tpr.Should().Be(1);
        worst.Aurc.Should().BeGreaterThan(perfect.Aurc);
    }

    [Fact]
    public void Evaluate_BadInput_ThrowsNamingTheArgument()
    {
        var failures = new[] { true, false, true };
        FluentActions.Invoking(() => RocEvaluator.Evaluate(new[] { 0.1, double.NaN, 0.3 }, failures))
            .Should().Throw<ArgumentException>().WithParameterName("scores").WithMessage("*NaN*index 1*");
        FluentActions.Invoking(() => RocEvaluator.Evaluate(new[] { 0.1, double.PositiveInfinity, 0.3 }, failures))
            .Should().Throw<ArgumentException>().WithParameterName("scores");
        FluentActions.Invoking(() => RocEvaluator.Evaluate(new[] { 0.1, double.NegativeInfinity, 0.3 }, failures))
            .Should().Throw<ArgumentException>().WithParameterName("scores");
        FluentActions.Invoking(() => RocEvaluator.Evaluate(Array.Empty<double>(), Array.Empty<bool>()))
            .Should().Throw<ArgumentException>().WithParameterName("scores").WithMessage("*empty*");
        FluentActions.Invoking(() => RocEvaluator.Evaluate(new[] { 0.1, 0.2 }, failures))
            .Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*3 cases*2*");
        FluentActions.Invoking(() => RocEvaluator.Evaluate(new[] { 0.1, 0.2 }, new[] { false, false }))
            .Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*no failure*");
        FluentActions.Invoking(() => RocEvaluator.Evaluate(new[] { 0.1, 0.2 }, new[] { true, true }))
            .Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*only failures*");
        FluentActions.Invoking(() => RocEvaluator.Evaluate(new[] { 0.1, 0.2, 0.3 }, failures, new RocOptions { ConfidenceLevel = 1, TargetSensitivity = 0 }))
            .Should().Throw<ArgumentException>().WithMessage("*ConfidenceLevel*TargetSensitivity*");
        FluentActions.Invoking(() => RocEvaluator.AtThreshold(new[] { 0.1, 0.2, 0.3 }, failures, double.NaN))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("threshold");
    }

    [Fact]
    public void Evaluate_BadTensors_ThrowNamingTheArgument()
    {
        using var scores = torch.tensor(new[] { 0.1, 0.2, 0.3 });
        using var twoDimensional = torch.zeros(3, 2);
        using var notBinary = torch.tensor(new long[] { 0, 2, 1 });
        using var nan = torch.tensor(new[] { 0.1, double.NaN, 0.3 });
        using var failures = torch.tensor(new[] { true, false, true });
        FluentActions.Invoking(() => RocEvaluator.Evaluate(twoDimensional, failures)).Should().Throw<ArgumentException>().WithParameterName("scores");
        FluentActions.Invoking(() => RocEvaluator.Evaluate(scores, notBinary)).Should().Throw<ArgumentException>().WithParameterName("failures").WithMessage("*0/1*row 1*");
        FluentActions.Invoking(() => RocEvaluator.Evaluate(nan, failures)).Should().Throw<ArgumentException>().WithParameterName("scores").WithMessage("*NaN*");
        FluentActions.Invoking(() => RocEvaluator.Evaluate(null!, failures)).Should().Throw<ArgumentNullException>().WithParameterName("scores");
    }

    internal static (double[] Scores, bool[] Failures) RandomCases(Random random, int n, double quantum)
    {
        var scores = new double[n];
        var failures = new bool[n];
        for (var i = 0; i < n; i++)
        {
            failures[i] = i < 2 ? i == 0 : random.NextDouble() < 0.3;
            var s = random.NextDouble() + (failures[i] ? 0.3 : 0);
            scores[i] = quantum > 0 ? Math.Round(s / quantum) * quantum : s;
        }

        return (scores, failures);
    }

    private static int LowerBound(double[] sorted, double value)
    {
        var index = Array.BinarySearch(sorted, value);
        if (index < 0)
        {
            return ~index;
        }

        while (index > 0 && sorted[index - 1] == value)
        {
            index--;
        }

        return index;
    }

    private static void ShouldEqual(IReadOnlyList<double> actual, JsonElement expected)
    {
        actual.Should().Equal(Golden.Vector(expected), (a, b) => Math.Abs(a - b) < Tolerance);
    }

    private static void ShouldEqual(OperatingPoint actual, JsonElement expected)
    {
        actual.Threshold.Should().BeApproximately(expected.GetProperty("threshold").GetDouble(), Tolerance);
        actual.Sensitivity.Should().BeApproximately(expected.GetProperty("sensitivity").GetDouble(), Tolerance);
        actual.Specificity.Should().BeApproximately(expected.GetProperty("specificity").GetDouble(), Tolerance);
        actual.FractionFlagged.Should().BeApproximately(expected.GetProperty("fractionFlagged").GetDouble(), Tolerance);
    }

    [Fact]
    public void Evaluate_WhereDeLongIsUndefined_GivesNoInterval()
    {
        // One failure: the AUROC is defined (as in scikit-learn) but its DeLong interval is not; perfect separation: zero variance.
        var one = RocEvaluator.Evaluate(new[] { 0.9, 0.1, 0.2, 0.3 }, new[] { true, false, false, false });
        one.Auroc.Should().Be(1);
        one.AurocCi.Should().BeNull();
        var perfect = RocEvaluator.Evaluate(new[] { 0.9, 0.8, 0.1, 0.2 }, new[] { true, true, false, false });
        perfect.AurocCi.Should().BeNull();
        var defined = RocEvaluator.Evaluate(new[] { 0.9, 0.15, 0.1, 0.2 }, new[] { true, true, false, false });
        defined.AurocCi.Should().NotBeNull();
        defined.AurocCi!.Upper.Should().BeGreaterThan(defined.AurocCi.Lower);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Metrics_EqualsEvaluateAndTheSingleMetrics(int index)
    {
        var (scores, failures) = Case(index);

        var metrics = RocEvaluator.Metrics(scores, failures);
        var result = RocEvaluator.Evaluate(scores, failures);

        metrics.Auroc.Should().Be(result.Auroc).And.Be(RocEvaluator.Auroc(scores, failures));
        metrics.AveragePrecision.Should().Be(result.Aupr).And.Be(RocEvaluator.AveragePrecision(scores, failures));
        metrics.FprAt95Tpr.Should().Be(result.FprAt95Tpr);
        metrics.Aurc.Should().Be(result.Aurc);
        metrics.EAurc.Should().Be(result.EAurc);
        using var scoreTensor = torch.tensor(scores);
        using var failureTensor = torch.tensor(failures);
        RocEvaluator.Metrics(scoreTensor, failureTensor).Auroc.Should().Be(metrics.Auroc);
        metrics.ToString().Should().StartWith("RocMetrics(AUROC=");
    }

    [Fact]
    public void Metrics_BadArguments_Throw()
    {
        ((Action)(() => RocEvaluator.Metrics(new[] { 0.1, double.NaN }, new[] { true, false }))).Should().Throw<ArgumentException>().WithParameterName("scores");
        ((Action)(() => RocEvaluator.Metrics(new[] { 0.1, 0.2 }, new[] { true }))).Should().Throw<ArgumentException>().WithParameterName("failures");
        ((Action)(() => RocEvaluator.Metrics(new[] { 0.1, 0.2 }, new[] { true, true }))).Should().Throw<ArgumentException>().WithMessage("*only failures*");
        ((Action)(() => RocEvaluator.Metrics(null!, torch.ones(2)))).Should().Throw<ArgumentNullException>().WithParameterName("scores");
    }

    [LinuxFact]
    public void Evaluate_FourMillionDistinctScores_HoldsLittleMoreThanItsCurves()
    {
        // 4·10⁶ distinct scores (32 MB): the result's curves take 5 doubles per distinct score (precision–recall 3, risk–coverage 2) plus
        // 3 per ROC point kept (0.9·10⁶ here), 208 MB; the sorted copy of the scores and one radix buffer 64 MB more.
        var peak = PeakMemory.MeasureMiB(EvaluateManyScores, "4000000");

        peak.Should().BeLessThan(300, "the result's curves (198 MiB here), the sorted scores and one radix buffer (61 MiB) are needed, 207 MiB measured; before the fix the walk materialised (thresholds, tps, fps), the ROC kept a growing list of points and the sort held two pooled buffers: 427 MiB");
    }

    /// <summary>Evaluates <c>arguments[0]</c> seeded cases, U(0, 1) + 0.3 for the 20 % failures, as the benchmark row.</summary>
    internal static void EvaluateManyScores(string[] arguments)
    {
        var n = int.Parse(arguments[0], System.Globalization.CultureInfo.InvariantCulture);
        var random = new Random(1);
        var scores = new double[n];
        var failures = new bool[n];
        for (var i = 0; i < n; i++)
        {
            failures[i] = random.NextDouble() < 0.2;
            scores[i] = random.NextDouble() + (failures[i] ? 0.3 : 0);
        }

        PeakMemory.Start();
        GC.KeepAlive(RocEvaluator.Evaluate(scores, failures));
    }
}
