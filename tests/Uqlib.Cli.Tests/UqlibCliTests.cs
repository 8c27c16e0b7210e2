using System.Text.Json;
using FluentAssertions;
using Uqlib.Cli.Tests.TestSupport;
using Xunit;

namespace Uqlib.Cli.Tests;

public sealed class UqlibCliTests
{
    [Fact]
    public void Run_Help_ListsEveryCommandOnOneLineEach()
    {
        var run = CliRun.Of("--help");

        run.ExitCode.Should().Be(ExitCodes.Success);
        foreach (var command in new[] { "calibrate", "evaluate", "ood", "conformal", "gps", "combine", "infer", "merge", "compare", "report" })
        {
            run.Output.Should().MatchRegex($"\n  {command}( <[a-z]+>(\\.\\.\\.)?)* +[A-Z]");
        }

        run.Output.Should().NotContain("Examples:");
    }

    [Theory]
    [InlineData("calibrate", "fit")]
    [InlineData("calibrate", "apply")]
    [InlineData("evaluate")]
    [InlineData("ood", "fit")]
    [InlineData("ood", "score")]
    [InlineData("conformal", "fit")]
    [InlineData("conformal", "predict")]
    [InlineData("gps")]
    [InlineData("combine", "fit")]
    [InlineData("combine", "apply")]
    [InlineData("infer")]
    [InlineData("merge")]
    [InlineData("compare")]
    [InlineData("report")]
    public void Run_CommandHelp_ShowsOptionsAndExamples(params string[] command)
    {
        var run = CliRun.Of([.. command, "--help"]);

        run.ExitCode.Should().Be(ExitCodes.Success);
        run.Output.Should().Contain("Options:").And.Contain("Examples:").And.Contain("  uqlib " + string.Join(' ', command));
        run.Error.Should().BeEmpty();
    }

    [Fact]
    public void Run_MissingRequiredOption_IsOneUsageLine()
    {
        var run = CliRun.Of("calibrate", "fit", "--labels", "x.npy", "--output", "t.uqlib");

        run.ExitCode.Should().Be(ExitCodes.Usage);
        run.Error.Should().Be("uqlib: error: Option '--logits' is required. (see 'uqlib calibrate fit --help')\n");
        run.Output.Should().BeEmpty();
    }

    [Fact]
    public void Run_UnknownCommand_IsUsageError()
    {
        var run = CliRun.Of("calibrat");

        run.ExitCode.Should().Be(ExitCodes.Usage);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("calibrat");
    }

    [Fact]
    public void Run_ValueOutsideTheChoices_IsUsageError()
    {
        var run = CliRun.Of("calibrate", "fit", "--logits", "a.npy", "--labels", "b.npy", "-o", "c", "--method", "beta");

        run.ExitCode.Should().Be(ExitCodes.Usage);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("beta");
    }

    [Fact]
    public void Run_Json_WritesOneJsonDocumentAndProgressOnlyToStderr()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("calibrate", "fit", "--logits", CliRun.Fixture("val_logits.npy"), "--labels", CliRun.Fixture("val_labels.npy"),
            "--output", folder.File("t.uqlib"), "--json");

        run.ExitCode.Should().Be(ExitCodes.Success);
        using var json = JsonDocument.Parse(run.Output);
        json.RootElement.GetProperty("cases").GetInt32().Should().Be(300);
        run.Error.Should().StartWith("uqlib: fitting temperature calibration on 300 cases");
    }

    [Fact]
    public void Run_Quiet_WritesNothingToStderr()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("calibrate", "fit", "--logits", CliRun.Fixture("val_logits.npy"), "--labels", CliRun.Fixture("val_labels.npy"),
            "--output", folder.File("t.uqlib"), "--quiet");

        run.ExitCode.Should().Be(ExitCodes.Success);
        run.Error.Should().BeEmpty();
    }
}
