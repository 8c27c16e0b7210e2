using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Imaging.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Imaging.Tests;

public sealed class ImageFolderDatasetTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    /// <summary>Writes a 2 × 2 image whose every pixel is <paramref name="value"/>, so a batch row tells which file it came from.</summary>
    private string WriteImage(string relative, byte value) =>
        folder.Write(relative, TestImages.Gray8(2, 2, (_, _) => value));

    private static byte[] Hostile(string kind)
    {
        var good = TestImages.Noise(32, 32, 11, TestImages.PngRgb);
        switch (kind)
        {
            case "random":
                var bytes = new byte[512];
                new Random(12).NextBytes(bytes);
                return bytes;
            case "half":
                return good[..(good.Length / 2)];
            case "jpeg":
                var jpeg = TestImages.Jpeg("420-noise");
                return jpeg[..(jpeg.Length * 2 / 3)];
            case "crc":
                good[TestImages.FindChunk(good, "IDAT") + 30] ^= 0xFF;
                return good;
            default:
                return TestImages.PngClaimingSize(20000, 20000);
        }
    }

    [Fact]
    public void Open_ClassesAreSubFoldersInOrdinalOrder()
    {
        foreach (var name in new[] { "b", "B", "a", "10", "9" })
        {
            WriteImage(Path.Combine(name, "x.png"), 1);
        }

        var dataset = ImageFolderDataset.Open(folder.Path);

        dataset.ClassNames.Should().Equal("10", "9", "B", "a", "b");
        dataset.ClassIndices.Should().BeEquivalentTo(new Dictionary<string, int> { ["10"] = 0, ["9"] = 1, ["B"] = 2, ["a"] = 3, ["b"] = 4 });
        dataset.Samples.Select(s => s.Label).Should().Equal(0, 1, 2, 3, 4);
    }

    [Fact]
    public void Open_FilesInOrdinalOrderWithTheirFolderLabel_IgnoringHiddenAndOtherFiles()
    {
        WriteImage("cat/b.png", 1);
        WriteImage("cat/a.PNG", 2);
        WriteImage("cat/.hidden.png", 3);
        folder.Write("cat/notes.txt", [1, 2, 3]);
        WriteImage("dog/z.bmp.png", 4);
        WriteImage(".git/x.png", 5);

        var dataset = ImageFolderDataset.Open(folder.Path);

        dataset.ClassNames.Should().Equal("cat", "dog");
        dataset.Samples.Select(s => (Path.GetFileName(s.Path), s.Label)).Should().Equal(("a.PNG", 0), ("b.png", 0), ("z.bmp.png", 1));
        dataset.Count.Should().Be(3);
        dataset.Skipped.Should().BeEmpty();
    }

    [Fact]
    public void GetBatches_WithoutSeed_FollowsSampleOrderWithLabels()
    {
        for (var i = 0; i < 5; i++)
        {
            WriteImage($"{(i < 2 ? "neg" : "pos")}/{i}.png", (byte)(10 * i));
        }

        var dataset = ImageFolderDataset.Open(folder.Path);
        var values = new List<float>();
        var labels = new List<long>();
        var sizes = new List<long>();
        foreach (var batch in dataset.GetBatches(2))
        {
            sizes.Add(batch.Count);
            batch.Inputs.shape.Should().Equal(batch.Count, 1, 2, 2);
            batch.Labels!.dtype.Should().Be(ScalarType.Int64);
            values.AddRange(batch.Inputs.mean([1, 2, 3]).data<float>().ToArray());
            labels.AddRange(batch.Labels.data<long>().ToArray());
        }

        sizes.Should().Equal(2, 2, 1);
        values.Select(v => (int)Math.Round(v * 255)).Should().Equal(0, 10, 20, 30, 40);
        labels.Should().Equal(0, 0, 1, 1, 1);
    }

    [Fact]
    public void GetBatches_SameSeed_SameOrder_DifferentSeed_DifferentOrder()
    {
        for (var i = 0; i < 20; i++)
        {
            WriteImage($"{(i % 2 == 0 ? "even" : "odd")}/{i:D2}.png", (byte)i);
        }

        var dataset = ImageFolderDataset.Open(folder.Path);

        List<(int Value, long Label)> Read(int? seed)
        {
            var seen = new List<(int, long)>();
            foreach (var batch in dataset.GetBatches(3, seed))
            {
                var values = batch.Inputs.mean([1, 2, 3]).data<float>().ToArray();
                var labels = batch.Labels!.data<long>().ToArray();
                seen.AddRange(values.Select((v, i) => ((int)Math.Round(v * 255), labels[i])));
            }

            return seen;
        }

        var first = Read(42);
        first.Should().Equal(Read(42));
        first.Should().NotEqual(Read(43));
        first.Should().NotEqual(Read(null));
        first.Select(p => p.Value).Should().BeEquivalentTo(Enumerable.Range(0, 20), "a shuffle is a permutation");
        first.Should().AllSatisfy(p => p.Label.Should().Be(p.Value % 2), "each image keeps its own label");
        first.Select(p => p.Value).Should().Equal(dataset.Order(42).Select(i => int.Parse(Path.GetFileNameWithoutExtension(dataset.Samples[i].Path))));
    }

    [Fact]
    public void GetBatches_DisposesEachBatchWhenMovingOn_LeakingNothing()
    {
        for (var i = 0; i < 6; i++)
        {
            WriteImage($"c/{i}.png", (byte)i);
        }

        var dataset = ImageFolderDataset.Open(folder.Path);
        var before = LiveTensors.Count;
        var batches = 0;
        foreach (var batch in dataset.GetBatches(2))
        {
            batches++;
            LiveTensors.Count.Should().Be(before + 2, "only the current batch's inputs and labels are alive");
        }

        batches.Should().Be(3);
        LiveTensors.Count.Should().Be(before);

        foreach (var unused in dataset.GetBatches(2))
        {
            break;
        }

        LiveTensors.Count.Should().Be(before, "leaving the loop early disposes the current batch too");
    }

    [Fact]
    public void GetBatches_WorksWithEstimateAll()
    {
        for (var i = 0; i < 5; i++)
        {
            WriteImage($"{(i < 3 ? "a" : "b")}/{i}.png", (byte)(50 * i));
        }

        var dataset = ImageFolderDataset.Open(folder.Path);
        var model = new Uqlib.Models.DelegateModel(x => torch.cat([x.mean([1, 2, 3]).unsqueeze(1), torch.zeros(x.shape[0], 1)], 1), OutputKind.MulticlassLogits);
        var estimator = new Uqlib.Scores.SoftmaxEstimator(model);

        using var estimate = estimator.EstimateAll(dataset.GetBatches(2));

        estimate.Scores.shape.Should().Equal(5);
    }

    [Fact]
    public void GetBatches_MixedSizesAndFormatsWithResize_BatchAsRgb()
    {
        folder.Write("a/1.png", TestImages.Gray8(5, 7, (_, _) => 10));
        folder.Write("a/2.jpg", TestImages.Noise(9, 4, 1, TestImages.EncoderFor("jpeg")));
        folder.Write("b/3.bmp", TestImages.Noise(3, 3, 2, TestImages.EncoderFor("bmp")));
        folder.Write("b/4.tiff", TestImages.Noise(6, 6, 3, TestImages.EncoderFor("tiff")));
        var options = new ImageFolderOptions { Load = new ImageLoadOptions { ColorMode = ImageColorMode.Rgb, Resize = new ImageSize(8, 8) } };

        var dataset = ImageFolderDataset.Open(folder.Path, options);
        var batches = 0;
        foreach (var batch in dataset.GetBatches(4))
        {
            batches++;
            batch.Inputs.shape.Should().Equal(4, 3, 8, 8);
            batch.Labels!.data<long>().ToArray().Should().Equal(0, 0, 1, 1);
        }

        batches.Should().Be(1);
    }

    [Theory]
    [InlineData("random")]
    [InlineData("half")]
    [InlineData("crc")]
    [InlineData("huge")]
    [InlineData("jpeg")]
    public void Open_Skip_ReportsBadFilesAndKeepsEveryGoodOne(string kind)
    {
        var good = new[] { WriteImage("a/1.png", 1), WriteImage("a/3.png", 3), WriteImage("b/2.png", 2) };
        var bad = folder.Write(kind == "jpeg" ? "a/2.jpg" : "a/2.png", Hostile(kind));
        var progress = new List<ImageFolderProgress>();

        var dataset = ImageFolderDataset.Open(
            folder.Path, new ImageFolderOptions { InvalidImages = InvalidImagePolicy.Skip }, new SynchronousProgress(progress.Add));

        dataset.Samples.Select(s => s.Path).Should().Equal(good);
        dataset.Samples.Select(s => s.Label).Should().Equal(0, 0, 1);
        dataset.Skipped.Should().ContainSingle().Which.Path.Should().Be(bad);
        dataset.Skipped[0].Reason.Should().NotBeNullOrWhiteSpace();
        progress.Should().Equal(Enumerable.Range(1, 4).Select(i => new ImageFolderProgress(i, 4)));
        dataset.GetBatches(10).Sum(b => b.Count).Should().Be(3);
    }

    [Fact]
    public void GetBatches_ThrowPolicy_NamesTheBadFile()
    {
        WriteImage("a/1.png", 1);
        var bad = folder.Write("a/2.png", Hostile("half"));
        var dataset = ImageFolderDataset.Open(folder.Path);

        var act = () => dataset.GetBatches(4).ToList();

        act.Should().Throw<InvalidImageException>().Which.FilePath.Should().Be(bad);
    }

    [Fact]
    public void Open_Cancelled_Throws()
    {
        WriteImage("a/1.png", 1);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        var act = () => ImageFolderDataset.Open(folder.Path, new ImageFolderOptions { InvalidImages = InvalidImagePolicy.Skip }, null, cancellation.Token);

        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Open_BadRoots_Throw()
    {
        FluentActions.Invoking(() => ImageFolderDataset.Open(Path.Combine(folder.Path, "missing")))
            .Should().Throw<DirectoryNotFoundException>().WithMessage("*missing*");
        FluentActions.Invoking(() => ImageFolderDataset.Open(folder.Path))
            .Should().Throw<ArgumentException>().WithMessage("*no class folder*");
        folder.Write("a/readme.txt", [1]);
        FluentActions.Invoking(() => ImageFolderDataset.Open(folder.Path))
            .Should().Throw<ArgumentException>().WithMessage("*no file with an image extension*");
        FluentActions.Invoking(() => ImageFolderDataset.Open(null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void GetBatches_BatchSizeBelowOne_Throws()
    {
        WriteImage("a/1.png", 1);
        var dataset = ImageFolderDataset.Open(folder.Path);

        FluentActions.Invoking(() => dataset.GetBatches(0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("batchSize");
        FluentActions.Invoking(() => dataset.GetBatches(int.MaxValue)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("batchSize").WithMessage("*[1, 1048576]*");
    }

    [Fact]
    public void Open_InvalidOptions_Throws()
    {
        FluentActions.Invoking(() => ImageFolderDataset.Open(folder.Path, new ImageFolderOptions { Extensions = ["png"] }))
            .Should().Throw<ArgumentException>().WithMessage("*start with '.'*");
    }

    private sealed class SynchronousProgress(Action<ImageFolderProgress> report) : IProgress<ImageFolderProgress>
    {
        public void Report(ImageFolderProgress value) => report(value);
    }
}
