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

    [Fact]
    public void GpsCache_FourShardsOfAnImageFolderMerged_EqualTheUnshardedCacheAndSearch()
    {
        using var folder = new TempFolder();
        var root = InferCommandTests.ImageFolder(folder, classes: 3, perClass: 4);
        string[] Cache(params string[] extra) =>
            ["gps", "cache", "--model", CliRun.Fixture("tiny_cnn.onnx"), "--images", root, "--resize", "8x8", "--batch-size", "2", "--candidates", "6", .. extra];
        Succeeds(CliRun.Of(Cache("-o", folder.File("single.uqlib"))));
        for (var i = 0; i < 4; i++)
        {
            Succeeds(CliRun.Of(Cache("--shard", $"{i}/4", "-o", folder.File($"cache_{i}.uqlib"))));
        }

        Succeeds(CliRun.Of(["merge", "-o", folder.File("merged.uqlib"), .. Enumerable.Range(0, 4).Select(i => folder.File($"cache_{i}.uqlib"))]));

        using (var single = CandidateCache.Load(folder.File("single.uqlib")))
        using (var merged = CandidateCache.Load(folder.File("merged.uqlib")))
        {
            single.Candidates.Should().Be(7);
            single.Rows.Should().Be(12);
            CliRun.Identical(merged.LogProbabilities, single.LogProbabilities).Should().BeTrue();
            CliRun.Identical(merged.Labels, single.Labels).Should().BeTrue();
        }

        var searches = new[] { "single", "merged" }.Select(name =>
        {
            var run = CliRun.Of("gps", "--cache", folder.File(name + ".uqlib"), "--steps", "4", "-o", folder.File($"gps_{name}.uqlib"), "--json");
            Succeeds(run);
            using var json = JsonDocument.Parse(run.Output);
            return json.RootElement.GetProperty("selectedCandidates").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        }).ToArray();
        searches[1].Should().Equal(searches[0]).And.HaveCount(4);
    }

    [Fact]
    public void GpsCache_EqualsTheLibrarysBuild()
    {
        using var folder = new TempFolder();
        var root = InferCommandTests.ImageFolder(folder, classes: 2, perClass: 3);

        Succeeds(CliRun.Of("gps", "cache", "--model", CliRun.Fixture("tiny_cnn.onnx"), "--images", root, "--resize", "8x8", "--candidates", "3", "--pool-seed", "5", "-o", folder.File("cache.uqlib")));

        using var scope = torch.NewDisposeScope();
        var dataset = Imaging.ImageFolderDataset.Open(root);
        var inputs = Imaging.ImageLoader.LoadBatch(dataset.Samples.Select(s => s.Path).ToList(), new Imaging.ImageLoadOptions { Resize = new Imaging.ImageSize(8, 8) });
        var labels = torch.tensor(dataset.Samples.Select(s => (long)s.Label).ToArray());
        using var model = Onnx.OnnxModel.Load(CliRun.Fixture("tiny_cnn.onnx"), OutputKind.MulticlassLogits);
        using var expected = CandidateCache.Build(model, [new Batch(inputs, labels)], CandidatePool.Medical(3, seed: 5));
        using var written = CandidateCache.Load(folder.File("cache.uqlib"));
        CliRun.Identical(written.LogProbabilities, expected.LogProbabilities).Should().BeTrue();
        CliRun.Identical(written.Labels, expected.Labels).Should().BeTrue();
    }

    [Fact]
    public void GpsCache_RangeOffTheBatchGrid_IsBadInputAndWritesNothing()
    {
        using var folder = new TempFolder();
        var root = InferCommandTests.ImageFolder(folder, classes: 2, perClass: 3);

        var run = CliRun.Of("gps", "cache", "--model", CliRun.Fixture("tiny_cnn.onnx"), "--images", root, "--resize", "8x8", "--batch-size", "2",
            "--candidates", "2", "--shard", "3..6", "-o", folder.File("cache.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("must start on a batch boundary (a multiple of --batch-size 2)");
        System.IO.File.Exists(folder.File("cache.uqlib")).Should().BeFalse();
    }

    private static void Succeeds(CliRun run) => run.ExitCode.Should().Be(ExitCodes.Success, run.Error);
}
