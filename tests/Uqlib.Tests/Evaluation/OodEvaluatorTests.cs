using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Evaluation;
using Uqlib.Tests.TestSupport;
using Xunit;

namespace Uqlib.Tests.Evaluation;

public sealed class OodEvaluatorTests
{
    private const double Tolerance = 1e-12;
    private static readonly JsonElement Reference = Golden.Load("ood_evaluation.json");
    private static readonly OodOptions NoBootstrap = new() { Bootstrap = null };

    public static TheoryData<int> Cases => new() { 0, 1, 2, 3, 4 };

    internal static (double[] Id, double[] Ood) Case(int index)
    {
        var c = Reference.GetProperty("ood")[index];
        return (Golden.Vector(c.GetProperty("id")), Golden.Vector(c.GetProperty("ood")));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_Metrics_MatchScikitLearn(int index)
    {
        var golden = Reference.GetProperty("ood")[index];
        var (id, ood) = Case(index);

        var result = OodEvaluator.Evaluate(id, ood, NoBootstrap);

        result.Auroc.Should().BeApproximately(golden.GetProperty("auroc").GetDouble(), Tolerance);
        result.AuprIn.Should().BeApproximately(golden.GetProperty("aupr_in").GetDouble(), Tolerance);
        result.AuprOut.Should().BeApproximately(golden.GetProperty("aupr_out").GetDouble(), Tolerance);
        result.FprAt95Tpr.Should().BeApproximately(golden.GetProperty("fpr95").GetDouble(), Tolerance);
        result.InDistribution.Should().Be(id.Length);
        result.OutOfDistribution.Should().Be(ood.Length);
        result.AurocCi.Should().BeNull();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Evaluate_Roc_MatchesScikitLearnsRocCurve(int index)
    {
        var golden = Reference.GetProperty("ood")[index];
        var (id, ood) = Case(index);

        var roc = OodEvaluator.Evaluate(id, ood, NoBootstrap).Roc;

        roc.FalsePositiveRates.Should().Equal(Golden.Vector(golden.GetProperty("roc_fpr")), (a, b) => Math.Abs(a - b) < Tolerance);
        roc.TruePositiveRates.Should().Equal(Golden.Vector(golden.GetProperty("roc_tpr")), (a, b) => Math.Abs(a - b) < Tolerance);
        roc.Thresholds.Skip(1).Should().Equal(Golden.Vector(golden.GetProperty("roc_thresholds")));
    }

    [Fact]
    public void Evaluate_Intervals_EqualTheStratifiedBootstrapOfEachMetric()
    {
        var (id, ood) = Case(0);
        var bootstrap = new BootstrapOptions { Resamples = 200, Seed = 3 };
        var scores = id.Concat(ood).ToArray();
        var isOod = id.Select(_ => false).Concat(ood.Select(_ => true)).ToArray();

        var result = OodEvaluator.Evaluate(id, ood, new OodOptions { Bootstrap = bootstrap });

        result.AurocCi.Should().Be(Bootstrap.Ci(scores, isOod, FailureMetric.Auroc, bootstrap).Ci);
        result.AuprOutCi.Should().Be(Bootstrap.Ci(scores, isOod, FailureMetric.AveragePrecision, bootstrap).Ci);
        result.FprAt95TprCi.Should().Be(Bootstrap.Ci(scores, isOod, FailureMetric.FprAt95Tpr, bootstrap).Ci);
        result.AuprInCi.Should().Be(Bootstrap.Ci(scores.Select(s => -s).ToArray(), isOod.Select(o => !o).ToArray(), FailureMetric.AveragePrecision, bootstrap).Ci);
        result.AurocCi!.Lower.Should().BeLessThan(result.Auroc).And.BeGreaterThan(0.7);
        result.AurocCi.Upper.Should().BeGreaterThan(result.Auroc).And.BeLessThan(0.85);
    }

    [Fact]
    public void Evaluate_PerfectSeparation_GivesNullIntervalsNotAnException()
    {
        var result = OodEvaluator.Evaluate(new[] { 0.1, 0.2, 0.3 }, new[] { 1.0, 2.0, 3.0 }, new OodOptions { Bootstrap = new BootstrapOptions { Resamples = 50 } });

        result.Auroc.Should().Be(1);
        result.FprAt95Tpr.Should().Be(0);
        result.AurocCi.Should().BeNull();
        result.FprAt95TprCi.Should().BeNull();
    }

    [Fact]
    public void Evaluate_OneCaseInASet_GivesMetricsWithoutIntervals()
    {
        var result = OodEvaluator.Evaluate(new[] { 0.1, 0.5, 0.3 }, new[] { 0.4 });

        result.Auroc.Should().BeApproximately(2.0 / 3, Tolerance);
        result.AurocCi.Should().BeNull();
    }

    [Fact]
    public void Evaluate_NegatedScores_GiveOneMinusAurocAndSwapTheAuprs()
    {
        var (id, ood) = Case(2);
        var result = OodEvaluator.Evaluate(id, ood, NoBootstrap);
        var flipped = OodEvaluator.Evaluate(ood.Select(s => -s).ToArray(), id.Select(s => -s).ToArray(), NoBootstrap);

        flipped.Auroc.Should().BeApproximately(result.Auroc, Tolerance);
        flipped.AuprIn.Should().BeApproximately(result.AuprOut, Tolerance);
        flipped.AuprOut.Should().BeApproximately(result.AuprIn, Tolerance);
        OodEvaluator.Evaluate(id.Select(s => -s).ToArray(), ood.Select(s => -s).ToArray(), NoBootstrap).Auroc.Should().BeApproximately(1 - result.Auroc, Tolerance);
    }

    [Fact]
    public void Evaluate_Tensors_EqualSpans()
    {
        var (id, ood) = Case(3);
        using var idTensor = torch.tensor(id, dtype: torch.float32);
        using var oodTensor = torch.tensor(ood, dtype: torch.float32);

        var result = OodEvaluator.Evaluate(idTensor, oodTensor, NoBootstrap);

        result.Auroc.Should().Be(OodEvaluator.Evaluate(id, ood, NoBootstrap).Auroc);
    }

    [Fact]
    public void Evaluate_ReportsProgressPerMetricAndHonoursCancellation()
    {
        var (id, ood) = Case(4);
        var reports = new List<EstimationProgress>();
        var options = new OodOptions { Bootstrap = new BootstrapOptions { Resamples = 20, MaxDegreeOfParallelism = 1 } };

        OodEvaluator.Evaluate(id, ood, options, new SynchronousProgress<EstimationProgress>(reports.Add));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var act = () => OodEvaluator.Evaluate(id, ood, options, null, cancelled.Token);

        reports.Should().Equal(new EstimationProgress(1, 20), new EstimationProgress(2, 40), new EstimationProgress(3, 60), new EstimationProgress(4, 80));
        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Evaluate_BadInput_NamesTheArgument()
    {
        var empty = () => OodEvaluator.Evaluate(Array.Empty<double>(), new[] { 1.0 });
        var nan = () => OodEvaluator.Evaluate(new[] { 1.0 }, new[] { double.NaN });
        var infinite = () => OodEvaluator.Evaluate(new[] { double.PositiveInfinity }, new[] { 1.0 });
        var badOptions = () => OodEvaluator.Evaluate(new[] { 1.0 }, new[] { 2.0 }, new OodOptions { Bootstrap = new BootstrapOptions { Resamples = 1 } });

        empty.Should().Throw<ArgumentException>().WithParameterName("inDistributionScores");
        nan.Should().Throw<ArgumentException>().WithParameterName("oodScores");
        infinite.Should().Throw<ArgumentException>().WithParameterName("inDistributionScores");
        badOptions.Should().Throw<ArgumentException>().WithMessage("*Resamples*").WithParameterName("options");
    }

    [Fact]
    public void Compare_RowsAndMeans_MatchSingleEvaluations()
    {
        var (id, near) = Case(0);
        var far = Golden.Vector(Reference.GetProperty("ood")[1].GetProperty("ood"));
        using var scope = torch.NewDisposeScope();
        var idScores = new Dictionary<string, torch.Tensor> { ["A"] = torch.tensor(id), ["B"] = torch.tensor(id.Select(s => -s).ToArray()) };
        var sets = new[]
        {
            new OodSet("near-1", OodShift.Near, new Dictionary<string, torch.Tensor> { ["A"] = torch.tensor(near), ["B"] = torch.tensor(near.Select(s => -s).ToArray()) }),
            new OodSet("far-1", OodShift.Far, new Dictionary<string, torch.Tensor> { ["A"] = torch.tensor(far), ["B"] = torch.tensor(far.Select(s => -s).ToArray()) }),
            new OodSet("far-2", OodShift.Far, new Dictionary<string, torch.Tensor> { ["A"] = torch.tensor(near), ["B"] = torch.tensor(near) }),
        };
        var progress = new List<EstimationProgress>();

        var table = OodEvaluator.Compare(idScores, sets, NoBootstrap, new SynchronousProgress<EstimationProgress>(progress.Add));

        table.Rows.Select(r => (r.Detector, r.OodSet)).Should().Equal(("A", "near-1"), ("A", "far-1"), ("A", "far-2"), ("B", "near-1"), ("B", "far-1"), ("B", "far-2"));
        table.Rows[1].Result.Auroc.Should().Be(OodEvaluator.Evaluate(id, far, NoBootstrap).Auroc);
        var farMean = table.Means.Single(m => m.Detector == "A" && m.Shift == OodShift.Far);
        farMean.Sets.Should().Be(2);
        farMean.Auroc.Should().BeApproximately((table.Rows[1].Result.Auroc + table.Rows[2].Result.Auroc) / 2, Tolerance);
        table.Means.Should().HaveCount(4);
        table.ConfidenceLevel.Should().BeNull();
        progress.Select(p => p.Batches).Should().Equal(1, 2, 3, 4, 5, 6);
        progress[^1].Samples.Should().Be(2 * (near.Length + far.Length + near.Length));
    }

    [Fact]
    public void Compare_MissingOrExtraDetector_IsRefusedNamingTheSet()
    {
        using var scope = torch.NewDisposeScope();
        var idScores = new Dictionary<string, torch.Tensor> { ["A"] = torch.tensor(new[] { 0.1, 0.2 }) };
        var missing = new[] { new OodSet("x", OodShift.Near, new Dictionary<string, torch.Tensor>()) };
        var extra = new[] { new OodSet("y", OodShift.Far, new Dictionary<string, torch.Tensor> { ["A"] = torch.tensor(new[] { 1.0 }), ["Z"] = torch.tensor(new[] { 1.0 }) }) };
        var duplicate = new[] { new OodSet("x", OodShift.Near, new Dictionary<string, torch.Tensor> { ["A"] = torch.tensor(new[] { 1.0 }) }), new OodSet("x", OodShift.Far, new Dictionary<string, torch.Tensor> { ["A"] = torch.tensor(new[] { 1.0 }) }) };

        FluentActions.Invoking(() => OodEvaluator.Compare(idScores, missing)).Should().Throw<ArgumentException>().WithMessage("*\"x\"*no scores of detector \"A\"*").WithParameterName("oodSets");
        FluentActions.Invoking(() => OodEvaluator.Compare(idScores, extra)).Should().Throw<ArgumentException>().WithMessage("*\"Z\"*").WithParameterName("oodSets");
        FluentActions.Invoking(() => OodEvaluator.Compare(idScores, duplicate)).Should().Throw<ArgumentException>().WithMessage("*two sets named \"x\"*");
        FluentActions.Invoking(() => OodEvaluator.Compare(new Dictionary<string, torch.Tensor>(), missing)).Should().Throw<ArgumentException>().WithParameterName("inDistributionScores");
        FluentActions.Invoking(() => OodEvaluator.Compare(idScores, Array.Empty<OodSet>())).Should().Throw<ArgumentException>().WithParameterName("oodSets");
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
