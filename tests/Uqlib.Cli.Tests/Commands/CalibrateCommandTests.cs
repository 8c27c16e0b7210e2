using System.IO;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Cli.Tests.TestSupport;
using Uqlib.Interop;
using Xunit;

namespace Uqlib.Cli.Tests.Commands;

public sealed class CalibrateCommandTests
{
    [Theory]
    [InlineData("temperature")]
    [InlineData("vector")]
    [InlineData("isotonic")]
    public void FitThenApply_EqualsTheLibrary(string method)
    {
        using var folder = new TempFolder();
        var fit = CliRun.Of("calibrate", "fit", "--logits", CliRun.Fixture("val_logits.npy"), "--labels", CliRun.Fixture("val_labels.npy"),
            "--method", method, "--output", folder.File("c.uqlib"));
        var apply = CliRun.Of("calibrate", "apply", "--calibrator", folder.File("c.uqlib"), "--logits", CliRun.Fixture("test_logits.npy"),
            "--output", folder.File("p.npy"));

        fit.ExitCode.Should().Be(ExitCodes.Success, fit.Error);
        apply.ExitCode.Should().Be(ExitCodes.Success, apply.Error);
        using var valLogits = CliRun.Load("val_logits.npy");
        using var valLabels = CliRun.Load("val_labels.npy");
        using var testLogits = CliRun.Load("test_logits.npy");
        ICalibrator expected = method switch
        {
            "vector" => VectorScaling.Fit(valLogits, valLabels),
            "isotonic" => IsotonicCalibration.Fit(valLogits, valLabels),
            _ => TemperatureScaling.Fit(valLogits, valLabels),
        };
        using var expectedProbabilities = expected.Transform(testLogits);
        using var written = Npy.Read(folder.File("p.npy"));
        CliRun.Identical(written, expectedProbabilities).Should().BeTrue();
        fit.Output.Should().StartWith($"{expected} saved to ");
    }

    [Fact]
    public void Fit_Json_ReportsMetricsBeforeAndAfter()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("calibrate", "fit", "--logits", CliRun.Fixture("val_logits.npy"), "--labels", CliRun.Fixture("val_labels.npy"),
            "--output", folder.File("t.uqlib"), "--npz", folder.File("t.npz"), "--json");

        run.ExitCode.Should().Be(ExitCodes.Success, run.Error);
        using var json = JsonDocument.Parse(run.Output);
        using var logits = CliRun.Load("val_logits.npy");
        using var labels = CliRun.Load("val_labels.npy");
        var temperature = TemperatureScaling.Fit(logits, labels);
        using var p = temperature.Transform(logits);
        json.RootElement.GetProperty("after").GetProperty("ece").GetDouble().Should().Be(CalibrationMetrics.Ece(p, labels));
        json.RootElement.GetProperty("before").GetProperty("nll").GetDouble().Should().BeGreaterThan(json.RootElement.GetProperty("after").GetProperty("nll").GetDouble());
        Npz.Names(folder.File("t.npz")).Should().NotBeEmpty();
    }

    [Fact]
    public void Apply_WrongClassCount_NamesBoth()
    {
        using var folder = new TempFolder();
        CliRun.Of("calibrate", "fit", "--logits", CliRun.Fixture("val_logits.npy"), "--labels", CliRun.Fixture("val_labels.npy"), "-o", folder.File("t.uqlib"))
            .ExitCode.Should().Be(0);

        var run = CliRun.Of("calibrate", "apply", "--calibrator", folder.File("t.uqlib"), "--logits", CliRun.Fixture("train_features.npy"), "-o", folder.File("p.npy"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: --logits: has 8 classes but the calibrator was fitted on 3");
        File.Exists(folder.File("p.npy")).Should().BeFalse();
    }

    [Fact]
    public void Apply_OutputFolderUnwritable_IsOutputError()
    {
        using var folder = new TempFolder();
        CliRun.Of("calibrate", "fit", "--logits", CliRun.Fixture("val_logits.npy"), "--labels", CliRun.Fixture("val_labels.npy"), "-o", folder.File("t.uqlib"))
            .ExitCode.Should().Be(0);
        File.WriteAllText(folder.File("file"), "not a folder");

        var run = CliRun.Of("calibrate", "apply", "--calibrator", folder.File("t.uqlib"), "--logits", CliRun.Fixture("test_logits.npy"),
            "-o", Path.Combine(folder.File("file"), "p.npy"));

        run.ExitCode.Should().Be(ExitCodes.OutputFailed);
        run.ErrorLines.Should().ContainSingle().Which.Should().StartWith("uqlib: error: --output: cannot write");
    }
}
