using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using FluentAssertions;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Imaging.Tests.TestSupport;
using Uqlib.Models;
using Uqlib.Scores;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Imaging.Tests;

/// <summary>Runs every C# example of docs/imaging.md; the first test proves the page shows exactly this code.</summary>
public sealed class DocumentationExamplesTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Documentation_EveryExample_AppearsInThisFile()
    {
        var root = RepositoryRoot();
        var page = File.ReadAllText(Path.Combine(root, "docs", "imaging.md"));
        var source = Normalize(File.ReadAllText(Path.Combine(root, "tests", "Uqlib.Imaging.Tests", "DocumentationExamplesTests.cs")));
        var blocks = Regex.Matches(page, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();

        blocks.Should().HaveCount(4);
        foreach (var block in blocks)
        {
            var lines = Normalize(block);
            Enumerable.Range(0, source.Count - lines.Count + 1)
                .Any(start => source.Skip(start).Take(lines.Count).SequenceEqual(lines))
                .Should().BeTrue("docs/imaging.md shows this code, which must run here:\n{0}", block);
        }
    }

    [Fact]
    public void Loading_Example_Runs()
    {
        var path = folder.Write("scan.png", TestImages.Noise(300, 280, 1, TestImages.PngRgb));

        var options = new ImageLoadOptions
        {
            ColorMode = ImageColorMode.Rgb,
            Resize = new ImageSize(256, 256),
            CenterCrop = new ImageSize(224, 224),
            Normalization = ImageNormalization.MeanStd,
            Mean = [0.485, 0.456, 0.406],
            Std = [0.229, 0.224, 0.225],
        };
        using Tensor image = ImageLoader.Load(path, options); // (1, 3, 224, 224), float32

        image.shape.Should().Equal(1, 3, 224, 224);
        image.dtype.Should().Be(ScalarType.Float32);
    }

    [Fact]
    public void HostileFiles_Example_Runs()
    {
        var whole = TestImages.Noise(64, 64, 2, TestImages.PngRgb);
        var brokenPath = folder.Write("0042.png", whole[..(whole.Length / 2)]);
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            try
            {
                using Tensor loaded = ImageLoader.Load(brokenPath);
            }
            catch (InvalidImageException ex)
            {
                Console.WriteLine(ex.Message);
                // /data/scans/0042.png: its IDAT chunk at byte 33 declares 8192 bytes but the file ends 4000 bytes later:
                // the file is truncated inside the image data.
            }
        }
        finally
        {
            Console.SetOut(console);
        }

        output.ToString().Should().StartWith(brokenPath + ": its IDAT chunk at byte").And.Contain("truncated inside the image data");
    }

    [Fact]
    public void Dataset_Example_Runs()
    {
        var root = folder.Path;
        for (var i = 0; i < 5; i++)
        {
            folder.Write($"{(i < 3 ? "benign" : "malignant")}/{i}.png", TestImages.Gray8(8, 8, (x, y) => (byte)(x * y * i)));
        }

        folder.Write("benign/broken.png", [1, 2, 3]);
        var model = new DelegateModel(x => x.flatten(1)[.., ..2], OutputKind.MulticlassLogits);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.Entropy);
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            var dataset = ImageFolderDataset.Open(root, new ImageFolderOptions { InvalidImages = InvalidImagePolicy.Skip });
            foreach (var skipped in dataset.Skipped)
            {
                Console.WriteLine($"skipped {skipped.Path}: {skipped.Reason}");
            }

            using UncertaintyEstimate estimate = estimator.EstimateAll(dataset.GetBatches(batchSize: 32, shuffleSeed: 7));

            estimate.Scores.shape.Should().Equal(5);
            dataset.ClassNames.Should().Equal("benign", "malignant");
        }
        finally
        {
            Console.SetOut(console);
        }

        output.ToString().Should().Contain("skipped ").And.Contain("broken.png");
    }

    [Fact]
    public void Maps_Example_Runs()
    {
        var outputFolder = folder.Path;
        using var image = torch.rand([1, 3, 16, 20], generator: torch.Generator.Default.manual_seed(3));
        var model = new DelegateModel(x => torch.cat([x[.., ..1], x[.., 1..2]], 1) * 4, OutputKind.MulticlassLogits);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.Entropy);
        using var estimate = estimator.Estimate(image);

        using Tensor map = estimate.Map![0]; // (H, W) entropy of the first image
        UncertaintyMaps.SaveColorMapped(map, Path.Combine(outputFolder, "entropy.png"));
        UncertaintyMaps.SaveOverlay(
            image[0], map, Path.Combine(outputFolder, "entropy-overlay.png"),
            new HeatMapOptions { ColorMap = ColorMap.Inferno, Opacity = 0.4, Minimum = 0, Maximum = Math.Log(2) });

        using var colorMapped = Png.Decode(File.ReadAllBytes(Path.Combine(outputFolder, "entropy.png")));
        using var overlay = Png.Decode(File.ReadAllBytes(Path.Combine(outputFolder, "entropy-overlay.png")));
        colorMapped.Height.Should().Be(16);
        overlay.Height.Should().Be(16);
        overlay[overlay.Width - 1, 15].Should().Be(new Rgb24(255, 255, 255), "the panel right of the bar is white");
    }

    private static List<string> Normalize(string text) =>
        text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0).ToList();

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Uqlib.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (with Uqlib.sln) was not found above the test binaries.");
    }
}
