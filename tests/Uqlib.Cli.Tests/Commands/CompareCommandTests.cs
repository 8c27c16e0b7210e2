using FluentAssertions;
using TorchSharp;
using Uqlib.Cli.Tests.TestSupport;
using Uqlib.Interop;
using Xunit;

namespace Uqlib.Cli.Tests.Commands;

public sealed class CompareCommandTests
{
    [Fact]
    public void Compare_WithinTolerance_AgreesAndOutsideDiffers()
    {
        using var folder = new TempFolder();
        using var a = torch.tensor(new[] { 1.0, 2.0, -4.0 });
        using var b = torch.tensor(new[] { 1.0, 2.0 + 2e-11, -4.0 });
        Npy.Write(folder.File("a.npy"), a);
        Npy.Write(folder.File("b.npy"), b);

        var loose = CliRun.Of("compare", folder.File("a.npy"), folder.File("b.npy"), "--tolerance", "1e-10");
        var exact = CliRun.Of("compare", folder.File("a.npy"), folder.File("b.npy"));

        loose.ExitCode.Should().Be(ExitCodes.Success);
        loose.Output.Should().StartWith("agree: 3 elements");
        exact.ExitCode.Should().Be(ExitCodes.Different);
        exact.Output.Should().StartWith("DIFFER: 3 elements").And.Contain("max relative difference 1E-11");
    }

    [Fact]
    public void Compare_ShapesDiffer_IsBadInput()
    {
        var run = CliRun.Of("compare", CliRun.Fixture("val_logits.npy"), CliRun.Fixture("test_labels.npy"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: actual: has shape (300,) but expected has (300, 3)");
    }
}
