using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Cli.Tests.TestSupport;
using Uqlib.Evaluation;
using Uqlib.Scores;
using Xunit;

namespace Uqlib.Cli.Tests.Commands;

public sealed class EvaluateCommandTests
{
    [Fact]
    public void Evaluate_ClustersAsCsvColumn_EqualsTheLibrarysClusteredComparison()
    {
        var run = CliRun.Of("evaluate", "--logits", CliRun.Fixture("test_logits.npy"), "--labels", CliRun.Fixture("test_labels.npy"),
            "--clusters", CliRun.Fixture("test_clusters.csv") + ":patient", "--json");

        run.ExitCode.Should().Be(ExitCodes.Success, run.Error);
        using var scope = torch.NewDisposeScope();
        var logits = CliRun.Load("test_logits.npy");
        var p = logits.softmax(1);
        var failures = Failures.Misclassified(p, CliRun.Load("test_labels.npy"));
        var ids = ClusterIds.From(Enumerable.Range(0, 300).Select(i => (string?)$"P{i / 5:D3}").ToList());
        var expected = RocEvaluator.Compare(
            new Dictionary<string, torch.Tensor>
            {
                ["OneMinusMaxProbability"] = SoftmaxScores.OneMinusMaxProbability(p),
                ["Entropy"] = SoftmaxScores.Entropy(p),
                ["OneMinusMargin"] = SoftmaxScores.OneMinusMargin(p),
                ["Energy"] = SoftmaxScores.Energy(logits),
            },
            failures,
            ids);
        using var json = JsonDocument.Parse(run.Output);
        json.RootElement.GetProperty("clusters").GetInt32().Should().Be(60);
        var rows = json.RootElement.GetProperty("methods").EnumerateArray().ToList();
        rows.Select(r => r.GetProperty("method").GetString()).Should().Equal(expected.Rows.Select(r => r.Method));
        rows.Select(r => r.GetProperty("auroc").GetDouble()).Should().Equal(expected.Rows.Select(r => r.Auroc));
        rows.Select(r => r.GetProperty("aurocLower").GetDouble()).Should().Equal(expected.Rows.Select(r => r.AurocCi!.Lower));
    }

    [Fact]
    public void Evaluate_ScoreAndFailuresFiles_PrintsTheTable()
    {
        using var folder = new TempFolder();
        using var scores = torch.tensor(new[] { 0.9, 0.1, 0.8, 0.2, 0.3, 0.7 });
        using var failures = torch.tensor(new[] { 1L, 0, 1, 0, 0, 1 });
        Interop.Npy.Write(folder.File("s.npy"), scores);
        Interop.Npy.Write(folder.File("f.npy"), failures);

        var run = CliRun.Of("evaluate", "--score", "mine=" + folder.File("s.npy"), "--failures", folder.File("f.npy"), "--csv", folder.File("t.csv"));

        run.ExitCode.Should().Be(ExitCodes.Success, run.Error);
        run.Output.Should().Contain("mine").And.Contain("1.000");
        System.IO.File.ReadAllText(folder.File("t.csv")).Should().StartWith("method,");
    }

    [Fact]
    public void Evaluate_NoFailures_SaysHowToGiveThem()
    {
        var run = CliRun.Of("evaluate", "--logits", CliRun.Fixture("test_logits.npy"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: --failures: no failures: give --failures, or --logits with --labels");
    }

    [Fact]
    public void Evaluate_ClustersOfAnotherLength_IsBadInput()
    {
        var run = CliRun.Of("evaluate", "--logits", CliRun.Fixture("test_logits.npy"), "--labels", CliRun.Fixture("test_labels.npy"),
            "--clusters", CliRun.Fixture("train_labels.npy"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: --clusters: has 400 cases but the scores have 300");
    }
}
