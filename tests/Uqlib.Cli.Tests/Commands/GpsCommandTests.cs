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
    public void Gps_CandidateCacheMergedFromFourShards_EqualsTheSearchOnTheSingleCache()
    {
        using var folder = new TempFolder();
        using var scope = torch.NewDisposeScope();
        var weights = torch.randn(new long[] { 3, 36 }, generator: torch.manual_seed(1));
        var model = new Models.DelegateModel(x => x.flatten(1).matmul(weights.t()), OutputKind.MulticlassLogits);
        var images = torch.rand(new long[] { 24, 1, 6, 6 }, generator: torch.manual_seed(30));
        var labels = torch.randint(0, 3, new long[] { 24 }, generator: torch.manual_seed(31));
        var pool = CandidatePool.Medical(6, seed: 2);
        Batch[] Batches(long start, long end) =>
            Enumerable.Range(0, (int)((end - start) / 3)).Select(b => new Batch(images.narrow(0, start + (3 * b), 3), labels.narrow(0, start + (3 * b), 3))).ToArray();
        using var single = CandidateCache.Build(model, Batches(0, 24), pool);
        single.Save(folder.File("single.uqlib"));
        for (var i = 0; i < 4; i++)
        {
            using var shard = CandidateCache.Build(model, Batches(6 * i, 6 * (i + 1)), pool);
            shard.Save(folder.File($"cache_{i}.uqlib"));
        }

        var merge = CliRun.Of(["merge", "-o", folder.File("merged.uqlib"), .. Enumerable.Range(0, 4).Select(i => folder.File($"cache_{i}.uqlib"))]);
        var fromMerged = CliRun.Of("gps", "--cache", folder.File("merged.uqlib"), "--steps", "4", "-o", folder.File("gps_merged.uqlib"), "--json");
        var fromSingle = CliRun.Of("gps", "--cache", folder.File("single.uqlib"), "--steps", "4", "-o", folder.File("gps_single.uqlib"), "--json");

        merge.ExitCode.Should().Be(ExitCodes.Success, merge.Error);
        fromMerged.ExitCode.Should().Be(ExitCodes.Success, fromMerged.Error);
        fromMerged.Output.Replace("gps_merged", "gps_single").Should().Be(fromSingle.Output);
        var expected = GreedyPolicySearch.Search(single.LogProbabilities, single.Labels, new GreedyPolicySearchOptions { Steps = 4 });
        using var json = JsonDocument.Parse(fromMerged.Output);
        json.RootElement.GetProperty("selectedCandidates").EnumerateArray().Select(e => e.GetInt32()).Should().Equal(expected.SelectedCandidates);
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
