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

    [Theory]
    [InlineData("0..400")]
    [InlineData("0..130,130..400")]
    [InlineData("0..1,1..90,90..333,333..400")]
    public void Merge_VimTwoShardedPassesOfUnevenShards_EqualsTheSingleProcessFitTo1e10(string ranges)
    {
        using var folder = new TempFolder();
        WriteVimInputs(folder, offset: 1e4);
        var shards = ranges.Split(',');
        string[] Features() => ["--features", folder.File("train.npy")];
        Succeeds(CliRun.Of(["ood", "fit", "-d", "vim", .. Features(), "--weight", folder.File("w.npy"), "--bias", folder.File("b.npy"), "-o", folder.File("single.uqlib")]));
        for (var i = 0; i < shards.Length; i++)
        {
            Succeeds(CliRun.Of(["ood", "fit", "-d", "vim", .. Features(), "--shard", shards[i], "-o", folder.File($"stats_{i}.uqlib")]));
        }

        Succeeds(CliRun.Of(["merge", "--detector", "vim", "--weight", folder.File("w.npy"), "--bias", folder.File("b.npy"), "-o", folder.File("subspace.uqlib"),
            .. Enumerable.Range(0, shards.Length).Select(i => folder.File($"stats_{i}.uqlib")).Reverse()]));
        for (var i = 0; i < shards.Length; i++)
        {
            Succeeds(CliRun.Of(["ood", "vim-alpha", "--subspace", folder.File("subspace.uqlib"), .. Features(), "--shard", shards[i], "-o", folder.File($"alpha_{i}.uqlib")]));
        }

        var merge = CliRun.Of(["merge", "-o", folder.File("merged.uqlib"), .. Enumerable.Range(0, shards.Length).Select(i => folder.File($"alpha_{i}.uqlib"))]);
        Succeeds(merge);
        merge.Output.Should().Contain("VimDetector(dim=8, principal=4");
        foreach (var name in new[] { "single", "merged" })
        {
            Succeeds(CliRun.Of("ood", "score", "--detector", folder.File(name + ".uqlib"), "--features", folder.File("queries.npy"), "-o", folder.File(name + ".npy")));
        }

        using var single = Npy.Read(folder.File("single.npy"));
        using var merged = Npy.Read(folder.File("merged.npy"));
        using var error = merged.sub(single).abs().max();
        using var scale = single.abs().max();
        (error.item<double>() / scale.item<double>()).Should().BeLessThan(1e-10);
    }

    [Fact]
    public void Merge_VimAlphaShardMissing_IsBadInputAndWritesNothing()
    {
        using var folder = new TempFolder();
        WriteVimInputs(folder, offset: 0);
        Succeeds(CliRun.Of("ood", "fit", "-d", "vim", "--features", folder.File("train.npy"), "--shard", "0/1", "-o", folder.File("stats.uqlib")));
        Succeeds(CliRun.Of("merge", "--detector", "vim", "--weight", folder.File("w.npy"), "-o", folder.File("subspace.uqlib"), folder.File("stats.uqlib")));
        for (var i = 0; i < 2; i++)
        {
            Succeeds(CliRun.Of("ood", "vim-alpha", "--subspace", folder.File("subspace.uqlib"), "--features", folder.File("train.npy"), "--shard", $"{i}/3", "-o", folder.File($"alpha_{i}.uqlib")));
        }

        var run = CliRun.Of("merge", "-o", folder.File("vim.uqlib"), folder.File("alpha_0.uqlib"), folder.File("alpha_1.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("the ViM second-pass shards cover 266 features but the subspace was computed from 400: a shard is missing or given twice");
        File.Exists(folder.File("vim.uqlib")).Should().BeFalse();
    }

    [Fact]
    public void Merge_VimWithoutWeight_NamesTheOption()
    {
        using var folder = new TempFolder();
        WriteVimInputs(folder, offset: 0);
        Succeeds(CliRun.Of("ood", "fit", "-d", "vim", "--features", folder.File("train.npy"), "--shard", "0/2", "-o", folder.File("stats.uqlib")));

        var run = CliRun.Of("merge", "--detector", "vim", "-o", folder.File("subspace.uqlib"), folder.File("stats.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: --weight: --detector vim needs the classifier's weight");
    }

    [Fact]
    public void Merge_WeightWithoutDetectorVim_NamesTheOption()
    {
        using var folder = new TempFolder();
        WriteVimInputs(folder, offset: 0);
        Succeeds(CliRun.Of("ood", "fit", "-d", "vim", "--features", folder.File("train.npy"), "--shard", "0/2", "-o", folder.File("stats.uqlib")));

        var run = CliRun.Of("merge", "--weight", folder.File("w.npy"), "-o", folder.File("m.uqlib"), folder.File("stats.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal("uqlib: error: --weight: applies only with --detector vim");
        File.Exists(folder.File("m.uqlib")).Should().BeFalse();
    }

    [Fact]
    public void VimAlpha_SubspaceOfAnotherKind_IsBadInput()
    {
        using var folder = new TempFolder();
        WriteVimInputs(folder, offset: 0);
        Succeeds(CliRun.Of("ood", "fit", "-d", "vim", "--features", folder.File("train.npy"), "--shard", "0/2", "-o", folder.File("stats.uqlib")));

        var run = CliRun.Of("ood", "vim-alpha", "--subspace", folder.File("stats.uqlib"), "--features", folder.File("train.npy"), "-o", folder.File("a.uqlib"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("holds a FeatureStatisticsAccumulator, not ViM's principal subspace");
        File.Exists(folder.File("a.uqlib")).Should().BeFalse();
    }

    /// <summary>Seeded float64 training features (400, 8) shifted by <paramref name="offset"/> on every coordinate, a head (3, 8) whose origin −W⁺b lies among them, and queries.</summary>
    private static void WriteVimInputs(TempFolder folder, double offset)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(31);
        var mixing = torch.randn(new long[] { 8, 8 }, dtype: torch.ScalarType.Float64, generator: generator).add_(torch.eye(8, dtype: torch.ScalarType.Float64));
        var train = torch.randn(new long[] { 400, 8 }, dtype: torch.ScalarType.Float64, generator: generator).matmul(mixing).add_(offset);
        var queries = torch.randn(new long[] { 50, 8 }, dtype: torch.ScalarType.Float64, generator: generator).mul_(3.0).add_(offset);
        var w = torch.randn(new long[] { 3, 8 }, dtype: torch.ScalarType.Float64, generator: generator);
        w[0] = torch.full(8, 0.5, torch.ScalarType.Float64);   // the offset's direction in the layer's row space: the origin lies among the features
        var b = torch.randn(3, dtype: torch.ScalarType.Float64, generator: generator).sub_(w.sum(1).mul(offset));
        Npy.Write(folder.File("train.npy"), train);
        Npy.Write(folder.File("queries.npy"), queries);
        Npy.Write(folder.File("w.npy"), w);
        Npy.Write(folder.File("b.npy"), b);
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
