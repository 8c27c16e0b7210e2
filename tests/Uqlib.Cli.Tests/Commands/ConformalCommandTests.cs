using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Cli.Tests.TestSupport;
using Uqlib.Conformal;
using Uqlib.Interop;
using Xunit;

namespace Uqlib.Cli.Tests.Commands;

public sealed class ConformalCommandTests
{
    [Fact]
    public void FitThenPredict_Aps_EqualsTheLibrary()
    {
        using var folder = new TempFolder();
        var fit = CliRun.Of("conformal", "fit", "--logits", CliRun.Fixture("val_logits.npy"), "--labels", CliRun.Fixture("val_labels.npy"),
            "--score", "aps", "--output", folder.File("c.uqlib"));
        var predict = CliRun.Of("conformal", "predict", "--conformal", folder.File("c.uqlib"), "--logits", CliRun.Fixture("test_logits.npy"),
            "--labels", CliRun.Fixture("test_labels.npy"), "--alpha", "0.1", "--output", folder.File("sets.npy"), "--json");

        fit.ExitCode.Should().Be(ExitCodes.Success, fit.Error);
        predict.ExitCode.Should().Be(ExitCodes.Success, predict.Error);
        using var scope = torch.NewDisposeScope();
        var classifier = ConformalClassifier.Fit(CliRun.Load("val_logits.npy").softmax(1), CliRun.Load("val_labels.npy"), new ConformalSetOptions { Score = SetScore.Aps });
        using var sets = classifier.Predict(CliRun.Load("test_logits.npy").softmax(1), 0.1);
        CliRun.Identical(Npy.Read(folder.File("sets.npy")), sets.Sets).Should().BeTrue();
        using var json = JsonDocument.Parse(predict.Output);
        json.RootElement.GetProperty("coverage").GetDouble().Should().Be(sets.Coverage(CliRun.Load("test_labels.npy")));
        json.RootElement.GetProperty("meanSize").GetDouble().Should().Be(sets.MeanSize());
    }

    [Fact]
    public void Fit_NeitherLogitsNorProbabilities_SaysWhichToGive()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("conformal", "fit", "--labels", CliRun.Fixture("val_labels.npy"), "-o", folder.File("c.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: --logits: give --logits or --probabilities");
    }

    [Fact]
    public void Predict_AlphaOutOfRange_IsBadInputFromTheLibrary()
    {
        using var folder = new TempFolder();
        CliRun.Of("conformal", "fit", "--logits", CliRun.Fixture("val_logits.npy"), "--labels", CliRun.Fixture("val_labels.npy"), "-o", folder.File("c.uqlib"))
            .ExitCode.Should().Be(0);

        var run = CliRun.Of("conformal", "predict", "--conformal", folder.File("c.uqlib"), "--logits", CliRun.Fixture("test_logits.npy"), "--alpha", "1.5", "-o", folder.File("s.npy"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("alpha");
        System.IO.File.Exists(folder.File("s.npy")).Should().BeFalse();
    }
}
