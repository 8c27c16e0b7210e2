using System;
using System.IO;
using FluentAssertions;
using Uqlib.Imaging;
using Uqlib.Samples.BiradsShape.Volumes;
using Xunit;

namespace Uqlib.Samples.BiradsShape.Tests.Volumes;

public sealed class VolumeStudyTests
{
    [Fact]
    public void Run_Quick_WritesVolumesMapsAlignedWithTheirScansAndAReport()
    {
        var folder = Path.Combine(Path.GetTempPath(), "uqlib-volume-study-" + Guid.NewGuid().ToString("N"));
        try
        {
            var lines = 0;
            var report = VolumeStudy.Run(VolumeStudyOptions.Quick with { OutputDirectory = folder }, new Progress(() => lines++), default);

            lines.Should().Be(4, "one line for the data, one per epoch, one for the segmentation");
            report.Should().Contain("| patient003 |").And.Contain("Volume level").And.Contain("Lesion level").And.Contain("Lesions: ")
                .And.Contain("Conformal risk control of the per-volume false-negative rate (α = 0.4, 2 calibration and 2 test volumes): t̂ = ");
            File.ReadAllText(Path.Combine(folder, "volumes-report.md")).Should().Be(report);
            for (int p = 0; p < VolumeStudyOptions.Quick.TestPatients; p++)
            {
                var name = $"patient{p:D3}";
                var scan = Nifti.ReadHeader(Path.Combine(folder, "test", "images", name + ".nii.gz"));
                using var map = Nifti.Read(Path.Combine(folder, "test", "maps", name + "_entropy.nii.gz"));
                map.Affine.Should().Be(scan.Affine);
                map.Header.AxisCodes.Should().Be("LPS");
                map.Data.shape.Should().Equal(32L, 32L, 32L);
                map.Data.min().item<float>().Should().BeGreaterThanOrEqualTo(0);
                map.Data.max().item<float>().Should().BeLessThanOrEqualTo((float)Math.Log(2) + 1e-6f);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class Progress(Action report) : IProgress<string>
    {
        public void Report(string value) => report();
    }
}
