using System.Linq;
using System.Text.Json;
using FluentAssertions;
using TorchSharp;
using Uqlib.Augmentation;
using Uqlib.Cli.Tests.TestSupport;
using Xunit;

namespace Uqlib.Cli.Tests.Commands;

public sealed class GpsCommandTests
{
    [Fact]
    public void Gps_CandidateCache_EqualsTheLibrarysSearch()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("gps", "--cache", CliRun.Fixture("candidate_log_probabilities.npy"), "--labels", CliRun.Fixture("val_labels.npy"),
            "--steps", "5", "--output", folder.File("gps.uqlib"), "--json");

        run.ExitCode.Should().Be(ExitCodes.Success, run.Error);
        using var scope = torch.NewDisposeScope();
        var expected = GreedyPolicySearch.Search(CliRun.Load("candidate_log_probabilities.npy"), CliRun.Load("val_labels.npy"), new GreedyPolicySearchOptions { Steps = 5 });
        using var json = JsonDocument.Parse(run.Output);
        json.RootElement.GetProperty("selectedCandidates").EnumerateArray().Select(e => e.GetInt32()).Should().Equal(expected.SelectedCandidates);
        GreedyPolicySearchResult.Load(folder.File("gps.uqlib")).SelectedCandidates.Should().Equal(expected.SelectedCandidates);
        run.Error.Should().Contain("uqlib: gps step:");
    }

    [Fact]
    public void Gps_CacheOfRankTwo_SaysTheExpectedShape()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("gps", "--cache", CliRun.Fixture("val_logits.npy"), "--labels", CliRun.Fixture("val_labels.npy"), "-o", folder.File("g.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: --cache: expected a 3-D array (candidates, cases, classes), found shape (300, 3)");
    }
}
