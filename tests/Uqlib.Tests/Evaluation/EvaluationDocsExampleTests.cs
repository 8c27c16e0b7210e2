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
    public void WorkedExample_RunsAsDocumented()
    {
        using var scope = torch.NewDisposeScope();
        var (validationLogits, _) = Synthetic(2000, 1);
        var (testLogits, testLabels) = Synthetic(2000, 2);

        using var testFailures = Failures.Misclassified(testLogits, testLabels, OutputKind.MulticlassLogits);

        var validationScores = new Dictionary<string, Tensor>
        {
            ["msp"] = SoftmaxScores.Compute(SoftmaxScore.MaxProbability, validationLogits, OutputKind.MulticlassLogits),
            ["energy"] = SoftmaxScores.Compute(SoftmaxScore.Energy, validationLogits, OutputKind.MulticlassLogits),
        };
        var testScores = new Dictionary<string, Tensor>
        {
            ["msp"] = SoftmaxScores.Compute(SoftmaxScore.MaxProbability, testLogits, OutputKind.MulticlassLogits),
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
