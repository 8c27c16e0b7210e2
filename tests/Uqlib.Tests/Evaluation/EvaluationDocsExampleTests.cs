using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Combination;
using Uqlib.Evaluation;
using Uqlib.Scores;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Uqlib.Tests.Evaluation;

/// <summary>The worked example of docs/evaluation.md, run as a test.</summary>
public sealed class EvaluationDocsExampleTests(ITestOutputHelper output)
{
    [Fact]
    public void ClusteredExample_RunsAsDocumented()
    {
        using var scope = torch.NewDisposeScope();
        var (sliceScores, sliceFailures, _) = BootstrapTests.ClusteredData(new Random(7), 60, 8);
        var random = new Random(8);
        var patientIds = Enumerable.Range(0, sliceScores.Length).Select(i => $"patient-{i / 8:D3}").ToArray();
        var scores = new Dictionary<string, Tensor>
        {
            ["score A"] = torch.tensor(sliceScores),
            ["score B"] = torch.tensor(sliceScores.Select(s => s + (1.5 * random.NextDouble())).ToArray()),
        };
        using var failures = torch.tensor(sliceFailures);

        var patients = ClusterIds.From(patientIds);
        var naive = RocEvaluator.Compare(scores, failures);
        var clustered = RocEvaluator.Compare(scores, failures, patients);

        var a = RocEvaluator.Evaluate(scores["score A"], failures, patients);
        output.WriteLine($"{a.Clusters!.Count} patients, {a.Clusters.MinCases}-{a.Clusters.MaxCases} slices each; AUROC {a.Auroc:F3} [{a.AurocCi!.Lower:F3}, {a.AurocCi.Upper:F3}]");
        var aupr = Bootstrap.Ci(sliceScores, sliceFailures, patients, FailureMetric.AveragePrecision, new BootstrapOptions { Seed = 1, Interval = BootstrapInterval.Bca });
        output.WriteLine($"AUPR {aupr.Estimate:F3} [{aupr.Ci.Lower:F3}, {aupr.Ci.Upper:F3}]");

        var patientScores = ClusterAggregation.Scores(sliceScores, patients, ScoreAggregation.Max);
        var patientFailures = ClusterAggregation.Failures(sliceFailures, patients, FailureAggregation.Majority);
        var patientLevel = RocEvaluator.Evaluate(patientScores, patientFailures);
        output.WriteLine($"patient level: AUROC {patientLevel.Auroc:F3} [{patientLevel.AurocCi!.Lower:F3}, {patientLevel.AurocCi.Upper:F3}] over {patientLevel.Cases} patients");
        output.WriteLine(naive.ToMarkdown());
        output.WriteLine(clustered.ToMarkdown());

        for (var m = 0; m < 2; m++)
        {
            var narrow = naive.Rows[m].AurocCi!.Upper - naive.Rows[m].AurocCi!.Lower;
            var honest = clustered.Rows[m].AurocCi!.Upper - clustered.Rows[m].AurocCi!.Lower;
            (honest / narrow).Should().BeGreaterThan(1.2, "slices of one patient share the patient's score level and failure rate");
            clustered.Rows[m].Auroc.Should().Be(naive.Rows[m].Auroc);
        }

        a.AurocCi.Should().Be(clustered.Rows[0].AurocCi);
        patientLevel.Cases.Should().Be(60);
        aupr.Ci.Lower.Should().BeLessThan(aupr.Estimate);
    }

    [Fact]
    public void WorkedExample_RunsAsDocumented()
    {
        using var scope = torch.NewDisposeScope();
        var (validationLogits, _) = Synthetic(2000, 1);
        var (testLogits, testLabels) = Synthetic(2000, 2);

        using var testFailures = Failures.Misclassified(testLogits, testLabels, OutputKind.MulticlassLogits);

        var validationScores = new Dictionary<string, Tensor>
        {
            ["msp"] = SoftmaxScores.Compute(SoftmaxScore.OneMinusMaxProbability, validationLogits, OutputKind.MulticlassLogits),
            ["energy"] = SoftmaxScores.Compute(SoftmaxScore.Energy, validationLogits, OutputKind.MulticlassLogits),
        };
        var testScores = new Dictionary<string, Tensor>
        {
            ["msp"] = SoftmaxScores.Compute(SoftmaxScore.OneMinusMaxProbability, testLogits, OutputKind.MulticlassLogits),
            ["energy"] = SoftmaxScores.Compute(SoftmaxScore.Energy, testLogits, OutputKind.MulticlassLogits),
        };

        var msp = RocEvaluator.Evaluate(testScores["msp"], testFailures);
        output.WriteLine($"AUROC {msp.Auroc:F3} [{msp.AurocCi?.Lower:F3}, {msp.AurocCi?.Upper:F3}], AURC {msp.Aurc:F3}");
        output.WriteLine($"review {msp.ForTargetSensitivity.FractionFlagged:P0} of cases to catch 90% of failures");

        var combiner = ZScoreCombiner.Fit(validationScores);
        testScores["z-score"] = combiner.Combine(testScores);
        var table = RocEvaluator.Compare(testScores, testFailures);
        output.WriteLine(table.ToMarkdown());

        var aurc = Bootstrap.Ci(testScores["msp"], testFailures, FailureMetric.Aurc, new BootstrapOptions { Seed = 1 });
        output.WriteLine($"AURC {aurc.Estimate:F3} [{aurc.Ci.Lower:F3}, {aurc.Ci.Upper:F3}]");

        msp.Auroc.Should().BeInRange(0.6, 1.0);
        table.Rows.Select(r => r.Method).Should().Equal("msp", "energy", "z-score");
        aurc.Estimate.Should().Be(msp.Aurc);
        msp.ForTargetSensitivity.Sensitivity.Should().BeGreaterThanOrEqualTo(0.9);
    }

    /// <summary>Logits of a 4-class problem with per-sample difficulty, and labels drawn from a sharper softmax.</summary>
    private static (Tensor Logits, Tensor Labels) Synthetic(int n, int seed)
    {
        var generator = torch.manual_seed(seed);
        var difficulty = torch.rand(n, 1, generator: generator, dtype: ScalarType.Float64).mul_(2.5);
        var logits = torch.randn(n, 4, generator: generator, dtype: ScalarType.Float64).mul_(difficulty);
        var labels = logits.mul(1.5).softmax(1).multinomial(1, generator: generator).squeeze(1);
        return (logits, labels);
    }
}
