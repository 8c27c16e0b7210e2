using System.Collections.Generic;
using System.IO;
using FluentAssertions;
using TorchSharp;
using Uqlib.Cli.Tests.TestSupport;
using Uqlib.Interop;
using Xunit;

namespace Uqlib.Cli.Tests.Io;

/// <summary>Bad inputs, through the commands: one clear stderr line, exit code 2, no output file.</summary>
public sealed class ArrayInputTests
{
    private static CliRun Fit(string logits, string labels, string output) =>
        CliRun.Of("calibrate", "fit", "--logits", logits, "--labels", labels, "--output", output);

    [Fact]
    public void Read_MissingFile_NamesOptionAndPath()
    {
        using var folder = new TempFolder();
        var run = Fit(folder.File("nope.npy"), CliRun.Fixture("val_labels.npy"), folder.File("t.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal($"uqlib: error: --logits: file not found: '{folder.File("nope.npy")}'");
        File.Exists(folder.File("t.uqlib")).Should().BeFalse();
    }

    [Fact]
    public void Read_NaN_CountsAndLocatesIt()
    {
        using var folder = new TempFolder();
        using var logits = CliRun.Load("val_logits.npy");
        logits[4, 1] = torch.tensor(float.NaN);
        Npy.Write(folder.File("nan.npy"), logits);

        var run = Fit(folder.File("nan.npy"), CliRun.Fixture("val_labels.npy"), folder.File("t.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Be(
            $"uqlib: error: --logits: '{folder.File("nan.npy")}' holds 1 non-finite value(s) (first: NaN at flat index 13)");
        Directory.GetFiles(folder.Path).Should().ContainSingle();
    }

    [Fact]
    public void Read_WrongShape_SaysExpectedAndFound()
    {
        using var folder = new TempFolder();
        var run = Fit(CliRun.Fixture("val_labels.npy"), CliRun.Fixture("val_labels.npy"), folder.File("t.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("--logits: expected a 2-D array (cases, classes), found shape (300,)");
    }

    [Fact]
    public void SameCases_Mismatch_NamesBothOptions()
    {
        using var folder = new TempFolder();
        var run = Fit(CliRun.Fixture("val_logits.npy"), CliRun.Fixture("train_labels.npy"), folder.File("t.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: --labels: has 400 cases but --logits has 300");
    }

    [Fact]
    public void ReadLabels_OutOfRange_SaysTheRange()
    {
        using var folder = new TempFolder();
        using var labels = CliRun.Load("val_labels.npy").add(1);
        Npy.Write(folder.File("labels.npy"), labels);

        var run = Fit(CliRun.Fixture("val_logits.npy"), folder.File("labels.npy"), folder.File("t.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("--labels: expected class labels in [0, 2], found values from 1 to 3");
    }

    [Fact]
    public void Read_NpzAndCsvColumns_GiveTheSameFitAsNpy()
    {
        using var folder = new TempFolder();
        using var logits = CliRun.Load("val_logits.npy");
        using var labels = CliRun.Load("val_labels.npy");
        Npz.Write(folder.File("val.npz"), new Dictionary<string, torch.Tensor> { ["logits"] = logits, ["other"] = labels });
        var csv = new System.Text.StringBuilder("case,label\n");
        var values = labels.data<long>().ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            csv.Append(i).Append(',').Append(values[i]).Append('\n');
        }

        File.WriteAllText(folder.File("val.csv"), csv.ToString());

        var npy = CliRun.Of("calibrate", "fit", "--logits", CliRun.Fixture("val_logits.npy"), "--labels", CliRun.Fixture("val_labels.npy"), "-o", folder.File("a.uqlib"), "--json");
        var mixed = CliRun.Of("calibrate", "fit", "--logits", folder.File("val.npz") + ":logits", "--labels", folder.File("val.csv") + ":label", "-o", folder.File("b.uqlib"), "--json");

        mixed.ExitCode.Should().Be(ExitCodes.Success, mixed.Error);
        mixed.Output.Replace("b.uqlib", "a.uqlib").Should().Be(npy.Output);
    }

    [Fact]
    public void Read_NpzWithoutName_ListsTheArrays()
    {
        using var folder = new TempFolder();
        using var logits = CliRun.Load("val_logits.npy");
        Npz.Write(folder.File("val.npz"), new Dictionary<string, torch.Tensor> { ["logits"] = logits, ["more"] = logits });

        var run = Fit(folder.File("val.npz"), CliRun.Fixture("val_labels.npy"), folder.File("t.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("holds 2 arrays (logits, more): name one as");
    }

    [Fact]
    public void Read_CsvTextCell_NamesLineAndColumn()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("labels.csv"), "label\n0\n1\nbad\n");

        var run = Fit(CliRun.Fixture("val_logits.npy"), folder.File("labels.csv") + ":label", folder.File("t.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal($"uqlib: error: --labels: '{folder.File("labels.csv")}' line 4, column 'label': 'bad' is not a number");
    }

    [Fact]
    public void Read_NotAUqlibFile_IsBadInput()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("calibrate", "apply", "--calibrator", CliRun.Fixture("val_logits.npy"), "--logits", CliRun.Fixture("val_logits.npy"), "-o", folder.File("p.npy"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("is not a file saved by Uqlib");
    }
}
