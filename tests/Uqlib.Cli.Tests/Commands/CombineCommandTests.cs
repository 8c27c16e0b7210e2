using System.Collections.Generic;
using FluentAssertions;
using TorchSharp;
using Uqlib.Cli.Tests.TestSupport;
using Uqlib.Combination;
using Uqlib.Interop;
using Xunit;

namespace Uqlib.Cli.Tests.Commands;

public sealed class CombineCommandTests
{
    [Fact]
    public void FitThenApply_Rank_EqualsTheLibrary()
    {
        using var folder = new TempFolder();
        using var scope = torch.NewDisposeScope();
        var val = new Dictionary<string, torch.Tensor>
        {
            ["MSP"] = Scores.SoftmaxScores.OneMinusMaxProbability(CliRun.Load("val_logits.npy").softmax(1)),
            ["Energy"] = Scores.SoftmaxScores.Energy(CliRun.Load("val_logits.npy")),
        };
        var test = new Dictionary<string, torch.Tensor>
        {
            ["MSP"] = Scores.SoftmaxScores.OneMinusMaxProbability(CliRun.Load("test_logits.npy").softmax(1)),
            ["Energy"] = Scores.SoftmaxScores.Energy(CliRun.Load("test_logits.npy")),
        };
        foreach (var (name, score) in val)
        {
            Npy.Write(folder.File($"val_{name}.npy"), score);
            Npy.Write(folder.File($"test_{name}.npy"), test[name]);
        }

        var fit = CliRun.Of("combine", "fit", "--score", "MSP=" + folder.File("val_MSP.npy"), "--score", "Energy=" + folder.File("val_Energy.npy"), "-o", folder.File("c.uqlib"));
        var apply = CliRun.Of("combine", "apply", "--combiner", folder.File("c.uqlib"), "--score", "MSP=" + folder.File("test_MSP.npy"),
            "--score", "Energy=" + folder.File("test_Energy.npy"), "-o", folder.File("combined.npy"));

        fit.ExitCode.Should().Be(ExitCodes.Success, fit.Error);
        apply.ExitCode.Should().Be(ExitCodes.Success, apply.Error);
        var expected = RankCombiner.Fit(val).Combine(test).to(torch.ScalarType.Float64);
        CliRun.Identical(Npy.Read(folder.File("combined.npy")), expected).Should().BeTrue();
    }

    [Fact]
    public void Apply_MissingScore_NamesIt()
    {
        using var folder = new TempFolder();
        using var a = torch.tensor(new[] { 0.1, 0.5, 0.9 });
        Npy.Write(folder.File("a.npy"), a);
        CliRun.Of("combine", "fit", "--score", "A=" + folder.File("a.npy"), "--score", "B=" + folder.File("a.npy"), "-o", folder.File("c.uqlib")).ExitCode.Should().Be(0);

        var run = CliRun.Of("combine", "apply", "--combiner", folder.File("c.uqlib"), "--score", "A=" + folder.File("a.npy"), "-o", folder.File("o.npy"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: --score: the combiner needs A, B; missing B");
    }

    [Fact]
    public void Fit_ScoreWithoutName_IsBadInput()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("combine", "fit", "--score", CliRun.Fixture("val_labels.npy"), "-o", folder.File("c.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().StartWith("uqlib: error: --score: expected NAME=ARRAY, found");
    }
}
