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
    /// <summary>Writes <paramref name="classes"/> classes × <paramref name="perClass"/> seeded PNG images (colour-mapped 8×8 noise with its colour bar) as an image folder.</summary>
    internal static string ImageFolder(TempFolder folder, int classes = 2, int perClass = 5)
    {
        var root = folder.File("images");
        var generator = torch.manual_seed(7);
        foreach (var name in new[] { "benign", "malignant", "other" }.Take(classes))
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (var i = 0; i < perClass; i++)
            {
                using var map = torch.rand(8, 8, generator: generator);
                UncertaintyMaps.SaveColorMapped(map, Path.Combine(root, name, $"{i}.png"));
            }
        }

        return root;
    }

    /// <summary>Writes 2 classes × 3 seeded NIfTI volumes (6, 5, 4), float32, as .nii and .nii.gz, with the library's writer.</summary>
    private static string VolumeFolder(TempFolder folder)
    {
        var root = folder.File("volumes");
        var generator = torch.manual_seed(8);
        foreach (var name in new[] { "healthy", "lesion" })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (var i = 0; i < 3; i++)
            {
                using var volume = torch.rand(new long[] { 6, 5, 4 }, generator: generator);
                Nifti.Write(Path.Combine(root, name, i % 2 == 0 ? $"case{i}.nii.gz" : $"case{i}.nii"), volume, NiftiAffine.Identity);
            }
        }

        return root;
    }

    [Fact]
    public void Infer_TorchScriptModelOverNiftiVolumes_EqualsTheLibrarysForwardPass()
    {
        using var folder = new TempFolder();
        var root = VolumeFolder(folder);

        var run = CliRun.Of("infer", "--model", CliRun.Fixture("tiny_cnn3d.pt"), "--images", root, "--batch-size", "4", "--output", folder.File("out"));

        run.ExitCode.Should().Be(ExitCodes.Success, run.Error);
        run.Output.Should().Contain("6 volumes").And.Contain("features");
        using var scope = torch.NewDisposeScope();
        var dataset = ImageFolderDataset.Open(root, new ImageFolderOptions { Extensions = [".nii", ".nii.gz"] });
        var volumes = dataset.Samples.Select(s =>
        {
            using var volume = Nifti.Read(s.Path);
            return volume.Data.unsqueeze(0).clone();
        }).ToArray();
        using var model = Models.TorchScriptModel.Load(CliRun.Fixture("tiny_cnn3d.pt"), OutputKind.MulticlassLogits);
        using var expected = model.Forward(torch.stack(volumes));
        CliRun.Identical(Npy.Read(Path.Combine(folder.File("out"), "logits.npy")), expected.Logits).Should().BeTrue();
        CliRun.Identical(Npy.Read(Path.Combine(folder.File("out"), "features.npy")), expected.Features!).Should().BeTrue();
        Npy.Read(Path.Combine(folder.File("out"), "labels.npy")).data<long>().ToArray().Should().Equal(0, 0, 0, 1, 1, 1);
    }

    [Fact]
    public void Infer_NiftiShards_MergeToTheSingleRun()
    {
        using var folder = new TempFolder();
        var root = VolumeFolder(folder);
        string[] Infer(params string[] extra) => ["infer", "--model", CliRun.Fixture("tiny_cnn3d.pt"), "--images", root, "--batch-size", "1", .. extra];
        CliRun.Of(Infer("-o", folder.File("single"))).ExitCode.Should().Be(ExitCodes.Success);
        for (var i = 0; i < 2; i++)
        {
            CliRun.Of(Infer("--shard", $"{i}/2", "-o", folder.File($"part{i}"))).ExitCode.Should().Be(ExitCodes.Success);
        }

        CliRun.Of("merge", "--total", "6", "-o", folder.File("logits.npy"), Path.Combine(folder.File("part0"), "logits.uqlib"), Path.Combine(folder.File("part1"), "logits.uqlib"))
            .ExitCode.Should().Be(ExitCodes.Success);
        File.ReadAllBytes(folder.File("logits.npy")).Should().Equal(File.ReadAllBytes(Path.Combine(folder.File("single"), "logits.npy")));
    }

    [Fact]
    public void Infer_VolumesOfDifferentShapesInOneBatch_IsBadInputNamingBoth()
    {
        using var folder = new TempFolder();
        var root = VolumeFolder(folder);
        using (var odd = torch.zeros(new long[] { 7, 5, 4 }))
        {
            Nifti.Write(Path.Combine(root, "healthy", "case9.nii"), odd, NiftiAffine.Identity);
        }

        var run = CliRun.Of("infer", "--model", CliRun.Fixture("tiny_cnn3d.pt"), "--images", root, "-o", folder.File("out"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("case9.nii' is a (1, 7, 5, 4) input but").And.Contain("volumes batched together need one shape");
        Directory.Exists(folder.File("out")).Should().BeFalse();
    }

    [Fact]
    public void Infer_VolumesMixedWithImages_IsBadInput()
    {
        using var folder = new TempFolder();
        var root = VolumeFolder(folder);
        using (var map = torch.rand(8, 8, generator: torch.manual_seed(3)))
        {
            UncertaintyMaps.SaveColorMapped(map, Path.Combine(root, "healthy", "x.png"));
        }

        var run = CliRun.Of("infer", "--model", CliRun.Fixture("tiny_cnn3d.pt"), "--images", root, "-o", folder.File("out"));

        run.ExitCode.Should().Be(ExitCodes.BadInput);
        run.ErrorLines.Should().Equal($"uqlib: error: --images: '{root}' mixes 6 NIfTI volumes with 1 images: give a folder of one kind");
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
