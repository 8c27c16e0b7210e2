using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Cli.Tests.TestSupport;
using Xunit;

namespace Uqlib.Cli.Tests.Commands;

public sealed class ReportCommandTests
{
    private static string[] Arguments(string output) =>
    [
        "report",
        "--val-logits", CliRun.Fixture("val_logits.npy"), "--val-labels", CliRun.Fixture("val_labels.npy"),
        "--test-logits", CliRun.Fixture("test_logits.npy"), "--test-labels", CliRun.Fixture("test_labels.npy"),
        "--train-features", CliRun.Fixture("train_features.npy"), "--train-labels", CliRun.Fixture("train_labels.npy"),
        "--test-features", CliRun.Fixture("test_features.npy"), "--test-clusters", CliRun.Fixture("test_clusters.csv") + ":patient",
        "--html", "--output", output,
    ];

    [Fact]
    public void Report_CommittedFixtures_WritesTheWholeStudy()
    {
        using var folder = new TempFolder();
        var output = folder.File("study");

        var run = CliRun.Of([.. Arguments(output), "--json"]);

        run.ExitCode.Should().Be(ExitCodes.Success, run.Error);
        Directory.GetFiles(output).Select(Path.GetFileName).Should().BeEquivalentTo(
            "report.md", "report.html", "report.json", "comparison.md", "comparison.csv", "reliability-raw.png", "reliability-calibrated.png",
            "roc-curves.png", "risk-coverage.png", "histogram-best.png", "conformal-coverage.png");
        foreach (var png in Directory.GetFiles(output, "*.png"))
        {
            File.ReadAllBytes(png).Take(4).Should().Equal(0x89, (byte)'P', (byte)'N', (byte)'G');
        }

        var markdown = File.ReadAllText(Path.Combine(output, "report.md"));
        markdown.Should().Contain("## Calibration").And.Contain("## Failure detection").And.Contain("## Conformal prediction sets")
            .And.Contain("| OneMinusMaxProbability |").And.Contain("| OneMinusMargin |").And.Contain("| Mahalanobis |").And.Contain("| kNN (k=10) |")
            .And.Contain("| AUGRC |").And.Contain("resample 60 clusters").And.NotContain("MSP");
        using var json = JsonDocument.Parse(run.Output);
        using var logits = CliRun.Load("val_logits.npy");
        using var labels = CliRun.Load("val_labels.npy");
        json.RootElement.GetProperty("calibration").GetProperty("temperature").GetDouble().Should().Be(TemperatureScaling.Fit(logits, labels).Temperature);
        var methods = json.RootElement.GetProperty("failureDetection").GetProperty("methods").EnumerateArray().ToList();
        methods.Select(m => m.GetProperty("method").GetString()).Should().Equal(
            "OneMinusMaxProbability", "Entropy", "OneMinusMargin", "Energy", "Mahalanobis", "kNN (k=10)");
        methods.Should().OnlyContain(m => m.GetProperty("augrc").GetDouble() > 0 && m.GetProperty("augrc").GetDouble() < 0.5);
        Directory.GetFileSystemEntries(folder.Path).Should().ContainSingle("no staging folder is left beside the report");
    }

    [Fact]
    public void Report_SameInputsTwice_WritesIdenticalFiles()
    {
        using var folder = new TempFolder();
        CliRun.Of(Arguments(folder.File("a"))).ExitCode.Should().Be(ExitCodes.Success);
        CliRun.Of(Arguments(folder.File("b"))).ExitCode.Should().Be(ExitCodes.Success);

        foreach (var file in Directory.GetFiles(folder.File("a")))
        {
            File.ReadAllBytes(Path.Combine(folder.File("b"), Path.GetFileName(file))).Should().Equal(File.ReadAllBytes(file), Path.GetFileName(file));
        }
    }

    [Fact]
    public void Report_BadInputHalfway_LeavesNothingBehind()
    {
        using var folder = new TempFolder();
        using var features = CliRun.Load("test_features.npy");
        features[299, 7] = torch.tensor(float.PositiveInfinity);
        Interop.Npy.Write(folder.File("bad_features.npy"), features);
        var arguments = Arguments(folder.File("study"));
        arguments[Array.IndexOf(arguments, "--test-features") + 1] = folder.File("bad_features.npy");

        var run = CliRun.Of(arguments);

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("--test-features").And.Contain("non-finite");
        Directory.GetFileSystemEntries(folder.Path).Should().Equal(folder.File("bad_features.npy"));
    }

    [Fact]
    public void Report_OutputExists_RefusesWithoutOverwrite()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("study"));
        File.WriteAllText(Path.Combine(folder.File("study"), "keep.txt"), "mine");

        var refused = CliRun.Of(Arguments(folder.File("study")));
        var replaced = CliRun.Of([.. Arguments(folder.File("study")), "--overwrite"]);

        refused.ExitCode.Should().Be(ExitCodes.OutputFailed);
        refused.ErrorLines.Should().Equal($"uqlib: error: --output: '{folder.File("study")}' exists and is not empty (pass --overwrite to replace it)");
        replaced.ExitCode.Should().Be(ExitCodes.Success);
        File.Exists(Path.Combine(folder.File("study"), "keep.txt")).Should().BeFalse();
    }
}
