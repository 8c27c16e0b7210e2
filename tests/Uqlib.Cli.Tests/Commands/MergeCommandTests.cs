using System.IO;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Cli.Tests.TestSupport;
using Uqlib.Interop;
using Xunit;

namespace Uqlib.Cli.Tests.Commands;

/// <summary>Merge exactness through the tool: 4 shard runs and one merge against the single-process run.</summary>
public sealed class MergeCommandTests
{
    private static void Succeeds(CliRun run) => run.ExitCode.Should().Be(ExitCodes.Success, run.Error);

    [Fact]
    public void Merge_MahalanobisStatisticsOfFourShards_EqualsTheSingleProcessFitTo1e10()
    {
        using var folder = new TempFolder();
        string[] Fit(params string[] extra) =>
            ["ood", "fit", "-d", "mahalanobis", "--features", CliRun.Fixture("train_features.npy"), "--labels", CliRun.Fixture("train_labels.npy"), .. extra];
        Succeeds(CliRun.Of(Fit("-o", folder.File("single.uqlib"))));
        for (var i = 0; i < 4; i++)
        {
            Succeeds(CliRun.Of(Fit("--classes", "3", "--shard", $"{i}/4", "-o", folder.File($"stats_{i}.uqlib"))));
        }

        Succeeds(CliRun.Of(["merge", "-o", folder.File("merged.uqlib"), .. Enumerable.Range(0, 4).Select(i => folder.File($"stats_{i}.uqlib")).Reverse()]));
        foreach (var name in new[] { "single", "merged" })
        {
            Succeeds(CliRun.Of("ood", "score", "--detector", folder.File(name + ".uqlib"), "--features", CliRun.Fixture("ood_features.npy"), "-o", folder.File(name + ".npy")));
        }

        using var single = Npy.Read(folder.File("single.npy"));
        using var merged = Npy.Read(folder.File("merged.npy"));
        merged.allclose(single, rtol: 1e-10, atol: 0).Should().BeTrue();
    }

    [Fact]
    public void Merge_KnnBankSplitInFour_IsIdenticalToTheUnsplitScores()
    {
        using var folder = new TempFolder();
        string[] Score(params string[] extra) =>
            ["ood", "score", "--bank", CliRun.Fixture("train_features.npy"), "--k", "10", "--features", CliRun.Fixture("test_features.npy"), .. extra];
        Succeeds(CliRun.Of(Score("-o", folder.File("single.npy"))));
        for (var i = 0; i < 4; i++)
        {
            Succeeds(CliRun.Of(Score("--bank-shard", $"{i}/4", "-o", folder.File($"knn_{i}.uqlib"))));
        }

        Succeeds(CliRun.Of(["merge", "-o", folder.File("merged.npy"), .. Enumerable.Range(0, 4).Select(i => folder.File($"knn_{i}.uqlib"))]));

        File.ReadAllBytes(folder.File("merged.npy")).Should().Equal(File.ReadAllBytes(folder.File("single.npy")));
    }

    [Fact]
    public void Merge_ScoreShardsOfFourCaseRanges_IsIdenticalToTheSingleProcessScores()
    {
        using var folder = new TempFolder();
        Succeeds(CliRun.Of("ood", "fit", "-d", "knn", "--k", "5", "--features", CliRun.Fixture("train_features.npy"), "-o", folder.File("knn.uqlib")));
        string[] Score(params string[] extra) =>
            ["ood", "score", "--detector", folder.File("knn.uqlib"), "--features", CliRun.Fixture("test_features.npy"), .. extra];
        Succeeds(CliRun.Of(Score("-o", folder.File("single.npy"))));
        var shards = new[] { "0..70", "70..150", "150..299", "299..300" };
        for (var i = 0; i < shards.Length; i++)
        {
            Succeeds(CliRun.Of(Score("--shard", shards[i], "-o", folder.File($"scores_{i}.uqlib"))));
        }

        Succeeds(CliRun.Of(["merge", "--total", "300", "-o", folder.File("merged.npy"), .. Enumerable.Range(0, 4).Select(i => folder.File($"scores_{i}.uqlib")).Reverse()]));

        File.ReadAllBytes(folder.File("merged.npy")).Should().Equal(File.ReadAllBytes(folder.File("single.npy")));
    }

    [Fact]
    public void Merge_InferShardsOfAnImageFolder_AreIdenticalToTheSingleRun()
    {
        using var folder = new TempFolder();
        var root = folder.File("images");
        var generator = torch.manual_seed(11);
        foreach (var name in new[] { "a", "b", "c" })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (var i = 0; i < 3; i++)
            {
                using var map = torch.rand(8, 8, generator: generator);
                Imaging.UncertaintyMaps.SaveColorMapped(map, Path.Combine(root, name, $"{i}.png"));
            }
        }

        string[] Infer(params string[] extra) => ["infer", "--model", CliRun.Fixture("tiny_cnn.onnx"), "--images", root, "--resize", "8x8", .. extra];
        Succeeds(CliRun.Of(Infer("-o", folder.File("single"))));
        for (var i = 0; i < 4; i++)
        {
            Succeeds(CliRun.Of(Infer("--shard", $"{i}/4", "-o", folder.File($"part{i}"))));
        }

        foreach (var name in new[] { "logits", "features", "labels" })
        {
            Succeeds(CliRun.Of(["merge", "--total", "9", "-o", folder.File($"{name}.npy"), .. Enumerable.Range(0, 4).Select(i => Path.Combine(folder.File($"part{i}"), name + ".uqlib"))]));
            File.ReadAllBytes(folder.File($"{name}.npy")).Should().Equal(File.ReadAllBytes(Path.Combine(folder.File("single"), name + ".npy")), name);
        }
    }

    [Fact]
    public void Merge_MissingShard_SaysWhichCasesAreMissing()
    {
        using var folder = new TempFolder();
        Succeeds(CliRun.Of("ood", "fit", "-d", "knn", "--features", CliRun.Fixture("train_features.npy"), "-o", folder.File("knn.uqlib")));
        for (var i = 0; i < 3; i++)
        {
            Succeeds(CliRun.Of("ood", "score", "--detector", folder.File("knn.uqlib"), "--features", CliRun.Fixture("test_features.npy"), "--shard", $"{i}/4", "-o", folder.File($"s_{i}.uqlib")));
        }

        var run = CliRun.Of(["merge", "--total", "300", "-o", folder.File("merged.npy"), .. Enumerable.Range(0, 3).Select(i => folder.File($"s_{i}.uqlib"))]);

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("must cover the cases 0 to 299 exactly once");
        File.Exists(folder.File("merged.npy")).Should().BeFalse();
    }

    [Fact]
    public void Merge_PartialsOfDifferentKinds_IsBadInput()
    {
        using var folder = new TempFolder();
        Succeeds(CliRun.Of("ood", "fit", "-d", "knn", "--features", CliRun.Fixture("train_features.npy"), "-o", folder.File("knn.uqlib")));
        Succeeds(CliRun.Of("ood", "score", "--detector", folder.File("knn.uqlib"), "--features", CliRun.Fixture("test_features.npy"), "--shard", "0/2", "-o", folder.File("s.uqlib")));

        var run = CliRun.Of("merge", "-o", folder.File("m.npy"), folder.File("s.uqlib"), folder.File("knn.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: partials: the partial states are of different kinds (ScoreShard, KnnDetector): merge one pass at a time");
    }

    [Fact]
    public void Shard_BadText_IsUsageError()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("ood", "fit", "-d", "mahalanobis", "--features", CliRun.Fixture("train_features.npy"), "--labels", CliRun.Fixture("train_labels.npy"),
            "--classes", "3", "--shard", "4/4", "-o", folder.File("s.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.Usage);
        run.ErrorLines.Should().ContainSingle().Which.Should().StartWith("uqlib: error: --shard: ");
    }
}
