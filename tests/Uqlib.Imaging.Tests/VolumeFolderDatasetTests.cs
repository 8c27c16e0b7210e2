using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FluentAssertions;
using TorchSharp;
using Uqlib.Imaging.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Imaging.Tests;

public sealed class VolumeFolderDatasetTests
{
    private static readonly NiftiAffine Sagittal = NiftiAffine.FromArray(new double[,] { { 0, 0, -1, 20 }, { 0, 1, 0, -5 }, { 1, 0, 0, 3 }, { 0, 0, 0, 1 } });

    [Fact]
    public void Open_Folder_ListsCasesInOrdinalOrderWithTheirLabels()
    {
        using var folder = Make(("b", 6), ("a", 5), ("c", 7));
        File.WriteAllText(Path.Combine(folder.Path, "images", "notes.txt"), "ignored");

        var dataset = VolumeFolderDataset.Open(folder.Path);

        dataset.Cases.Select(c => c.Name).Should().Equal("a", "b", "c");
        dataset.Cases[0].LabelPath.Should().Be(Path.Combine(folder.Path, "labels", "a.nii.gz"));
    }

    [Fact]
    public void Open_CaseWithoutLabel_NamesTheCase()
    {
        using var folder = Make(("a", 5), ("b", 5));
        File.Delete(Path.Combine(folder.Path, "labels", "b.nii.gz"));

        var act = () => VolumeFolderDataset.Open(folder.Path);

        act.Should().Throw<ArgumentException>().WithMessage("*case 'b' has no label file*");
    }

    [Fact]
    public void GetVolumes_ReadsEachCaseOnceDisposingThePreviousAndReportsProgress()
    {
        using var folder = Make(("a", 5), ("b", 6));
        var dataset = VolumeFolderDataset.Open(folder.Path);
        var reports = new List<VolumeFolderProgress>();
        var seen = new List<VolumeSample>();

        foreach (var sample in dataset.GetVolumes(new SynchronousProgress<VolumeFolderProgress>(reports.Add)))
        {
            using var expected = Volume(sample.Case.Name == "a" ? 5 : 6);
            sample.Image.Data.allclose(expected, 0, 0).Should().BeTrue();
            sample.Label!.Data.allclose(expected.gt(0).to(ScalarType.Float32), 0, 0).Should().BeTrue();
            seen.Add(sample);
        }

        reports.Should().Equal(new VolumeFolderProgress(1, 2), new VolumeFolderProgress(2, 2));
        var disposed = () => seen[0].Image.Data;
        disposed.Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void GetVolumes_Canonical_ReorientsToRasWithAMatchingHeader()
    {
        using var folder = Make(("a", 5));
        var dataset = VolumeFolderDataset.Open(folder.Path, new VolumeFolderOptions { Canonical = true });
        var header = Nifti.ReadHeader(dataset.Cases[0].ImagePath);
        using var raw = Nifti.Read(dataset.Cases[0].ImagePath);
        using var expected = header.Orientation.ToCanonical(raw.Data);

        header.AxisCodes.Should().Be("SAL");
        foreach (var sample in dataset.GetVolumes())
        {
            sample.Image.Header.AxisCodes.Should().Be("RAS");
            sample.Image.Data.allclose(expected, 0, 0).Should().BeTrue();
            sample.Image.Header.Shape.Should().Equal(expected.shape);
            sample.Image.Affine[0, 0].Should().Be(1.0);
            sample.Image.Affine[0, 3].Should().Be(20.0 - 2.0, "the first canonical voxel is the last along the flipped axis (3 voxels of 1 mm)");
        }
    }

    [Fact]
    public void GetPatchBatches_Seeded_GivesAlignedPatchesAndRepeats()
    {
        using var folder = Make(("a", 8), ("b", 9));
        var dataset = VolumeFolderDataset.Open(folder.Path);

        var first = Collect(dataset.GetPatchBatches([4, 3, 2], patchesPerVolume: 3, batchSize: 4, seed: 1));
        var again = Collect(dataset.GetPatchBatches([4, 3, 2], patchesPerVolume: 3, batchSize: 4, seed: 1));

        first.Select(b => b.Inputs.shape[0]).Should().Equal(4L, 2L);
        first[0].Inputs.shape.Should().Equal(4L, 1L, 4L, 3L, 2L);
        first[0].Labels!.shape.Should().Equal(4L, 4L, 3L, 2L);
        first[0].Labels!.dtype.Should().Be(ScalarType.Int64);
        for (int i = 0; i < first.Count; i++)
        {
            first[i].Labels!.allclose(first[i].Inputs[.., 0].gt(0).to(ScalarType.Int64), 0, 0).Should().BeTrue("a label patch is cut where its image patch is");
            first[i].Inputs.allclose(again[i].Inputs, 0, 0).Should().BeTrue();
        }
    }

    [Fact]
    public void GetPatchBatches_PatchLargerThanAVolume_NamesTheFile()
    {
        using var folder = Make(("a", 5));
        var dataset = VolumeFolderDataset.Open(folder.Path);

        var act = () => Collect(dataset.GetPatchBatches([6, 1, 1], 1, 1, 0));

        act.Should().Throw<InvalidImageException>().WithMessage("*a.nii.gz*6 × 1 × 1 patch*");
    }

    [Fact]
    public void GetPatchBatches_Unlabelled_Refused()
    {
        using var folder = Make(("a", 5));
        var dataset = VolumeFolderDataset.Open(folder.Path, new VolumeFolderOptions { LabelsFolder = null });

        var act = () => dataset.GetPatchBatches([2, 2, 2], 1, 1, 0);

        dataset.Cases[0].LabelPath.Should().BeNull();
        act.Should().Throw<ArgumentException>().WithMessage("*labels*");
    }

    private static List<Batch> Collect(IEnumerable<Batch> batches) =>
        batches.Select(b => new Batch(b.Inputs.clone(), b.Labels?.clone())).ToList();

    private static Tensor Volume(int size) =>
        torch.arange(0, size * 4 * 3, dtype: ScalarType.Float32).reshape(size, 4, 3).remainder(7).sub(3);

    private static TempFolder Make(params (string Name, int Size)[] cases)
    {
        var folder = new TempFolder();
        Directory.CreateDirectory(Path.Combine(folder.Path, "images"));
        Directory.CreateDirectory(Path.Combine(folder.Path, "labels"));
        foreach (var (name, size) in cases)
        {
            using var image = Volume(size);
            using var label = image.gt(0);
            Nifti.Write(Path.Combine(folder.Path, "images", name + ".nii.gz"), image, Sagittal);
            Nifti.Write(Path.Combine(folder.Path, "labels", name + ".nii.gz"), label, Sagittal);
        }

        return folder;
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
