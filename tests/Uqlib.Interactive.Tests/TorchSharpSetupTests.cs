using FluentAssertions;
using Xunit;

namespace Uqlib.Interactive.Tests;

public sealed class TorchSharpSetupTests
{
    [Fact]
    public void Prepare_InAnApplicationOutputFolder_DoesNothingAndSaysWhy()
    {
        // The test host is an application: its build placed a (patched, where needed) libLibTorchSharp.so beside TorchSharp.dll.
        var outcome = TorchSharpSetup.Prepare();

        outcome.Should().StartWith("TorchSharp setup: ").And.Contain("nothing to do");
        TorchSharpSetup.Prepare().Should().Be(outcome);
    }
}
