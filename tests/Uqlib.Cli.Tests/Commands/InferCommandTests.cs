using System.IO;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Cli.Tests.TestSupport;
using Uqlib.Imaging;
using Uqlib.Interop;
using Uqlib.Onnx;
using Xunit;

namespace Uqlib.Cli.Tests.Commands;

public sealed class InferCommandTests
{
    /// <summary>Writes 2 classes × 5 seeded PNG images (colour-mapped 8×8 noise with its colour bar) as an image folder.</summary>
    private static string ImageFolder(TempFolder folder)
    {
        var root = folder.File("images");
        var generator = torch.manual_seed(7);
        foreach (var name in new[] { "benign", "malignant" })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (var i = 0; i < 5; i++)
            {
                using var map = torch.rand(8, 8, generator: generator);
                UncertaintyMaps.SaveColorMapped(map, Path.Combine(root, name, $"{i}.png"));
            }
        }

        return root;
    }

    [Fact]
    public void Infer_OnnxModelOverImageFolder_EqualsTheLibrarysForwardPass()
    {
        using var folder = new TempFolder();
        var root = ImageFolder(folder);

        var run = CliRun.Of("infer", "--model", CliRun.Fixture("tiny_cnn.onnx"), "--images", root, "--resize", "8x8", "--batch-size", "3", "--output", folder.File("out"));

        run.ExitCode.Should().Be(ExitCodes.Success, run.Error);
        using var scope = torch.NewDisposeScope();
        var load = new ImageLoadOptions { Resize = new ImageSize(8, 8) };
        var dataset = ImageFolderDataset.Open(root);
        using var model = OnnxModel.Load(CliRun.Fixture("tiny_cnn.onnx"), OutputKind.MulticlassLogits);
        using var expected = model.Forward(ImageLoader.LoadBatch(dataset.Samples.Select(s => s.Path).ToList(), load));
        Npy.Read(Path.Combine(folder.File("out"), "logits.npy")).allclose(expected.Logits, rtol: 0, atol: 1e-6).Should().BeTrue();
        Npy.Read(Path.Combine(folder.File("out"), "features.npy")).allclose(expected.Features!, rtol: 0, atol: 1e-6).Should().BeTrue();
        Npy.Read(Path.Combine(folder.File("out"), "labels.npy")).data<long>().ToArray().Should().Equal(0, 0, 0, 0, 0, 1, 1, 1, 1, 1);
        File.ReadAllLines(Path.Combine(folder.File("out"), "cases.csv")).Should().HaveCount(11);
    }

    [Fact]
    public void Infer_MissingFolder_IsBadInput()
    {
        using var folder = new TempFolder();
        var run = CliRun.Of("infer", "--model", CliRun.Fixture("tiny_cnn.onnx"), "--images", folder.File("none"), "-o", folder.File("out"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal($"uqlib: error: --images: folder not found: '{folder.File("none")}'");
        Directory.Exists(folder.File("out")).Should().BeFalse();
    }

    [Fact]
    public void Infer_UnknownModelType_IsBadInput()
    {
        using var folder = new TempFolder();
        var root = ImageFolder(folder);
        var run = CliRun.Of("infer", "--model", CliRun.Fixture("val_logits.npy"), "--images", root, "-o", folder.File("out"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("is neither .onnx nor .pt");
    }
}
