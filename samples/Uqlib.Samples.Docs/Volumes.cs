using System;
using System.IO;
using TorchSharp;
using Uqlib.Imaging;
using Uqlib.Models;
using Uqlib.Segmentation;
using static TorchSharp.torch;

namespace Uqlib.Samples.Docs;

/// <summary>The examples of docs/volumes.md: a NIfTI volume in, a sliding-window segmenter over it, an entropy map out, per-lesion review.</summary>
internal static class Volumes
{
    public static void Run()
    {
        torch.set_num_threads(1);
        var folder = Path.Combine(Path.GetTempPath(), "uqlib-docs-volumes-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var scanPath = Path.Combine(folder, "scan.nii.gz");
            var mapPath = Path.Combine(folder, "scan_entropy.nii.gz");
            using (var scan = SyntheticScan())
            {
                var oblique = NiftiAffine.FromArray(new double[,] { { -0.8, 0, 0, 60 }, { 0, 0.8, 0, -40 }, { 0, 0, 2.5, 10 }, { 0, 0, 0, 1 } });
                Nifti.Write(scanPath, scan, oblique);
            }

            using var truth = SyntheticTruth();
            Run(scanPath, mapPath, truth);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Run(string scanPath, string mapPath, Tensor trueMask)
    {
        // A "network" trained on 32 × 32 × 16 patches: logits of the tumour class grow with intensity.
        var patchNetwork = new DelegateModel(x => torch.cat([x.neg().add(0.5).mul(8), x.sub(0.5).mul(8)], 1), OutputKind.MulticlassLogits);

        #region docs:volumes-read
        using var volume = Nifti.Read(scanPath);                                 // .nii, .nii.gz, .hdr/.img; NIfTI-1 or -2
        var size = volume.Header.VoxelSizes;                                     // pixdim: 0.8 × 0.8 × 2.5 mm here
        Console.WriteLine($"{volume.Header.AxisCodes}, {string.Join(" × ", volume.Header.Shape)} voxels of {size[0]:G3} × {size[1]:G3} × {size[2]:G3} mm");
        using var input = volume.Data.unsqueeze(0).unsqueeze(0);                 // (1, 1, X, Y, Z) for the network
        #endregion

        #region docs:volumes-sliding-window
        var model = new SlidingWindowModel(patchNetwork, new SlidingWindowOptions
        {
            RoiSize = [32, 32, 16],                      // the patch size the network was trained on
            Overlap = 0.25,
            Blend = SlidingWindowBlend.Gaussian,         // windows' centres count more than their edges
            WindowBatchSize = 4,                         // peak memory grows with this, not with the volume
        });
        using var output = model.Forward(input);                                  // (1, 2, X, Y, Z) logits
        using var entropy = SegmentationScores.EntropyMap(output.Logits, OutputKind.MulticlassLogits);
        Nifti.Write(mapPath, entropy[0], volume.Header);                          // opens aligned with the scan in any viewer
        #endregion

        #region docs:volumes-lesions
        using var predicted = SegmentationScores.PredictedMask(output.Logits, OutputKind.MulticlassLogits);
        var lesions = Lesions.Analyze(entropy, predicted, trueMask.unsqueeze(0));   // 26-connected components in 3-D
        foreach (var lesion in lesions.Predicted)
        {
            Console.WriteLine($"lesion {lesion.Label}: {lesion.Voxels} voxels, mean entropy {lesion.Mean:F3}, Dice {lesion.Dice:F2}{(lesion.IsFalsePositive ? "  ← false positive" : "")}");
        }

        Console.WriteLine($"{lesions.Missed.Count} of {lesions.TrueLesionCount} true lesions missed");
        using var scores = lesions.Scores(LesionUncertainty.Mean);                // one score per predicted lesion, for RocEvaluator
        using var failures = lesions.FalsePositives();                            // its failure labels
        #endregion
    }

    /// <summary>A 64 × 64 × 24 float32 "scan": two bright blobs (one real tumour, one enhancing artefact) on a dim, noisy background.</summary>
    private static Tensor SyntheticScan()
    {
        using var scope = torch.NewDisposeScope();
        var noise = torch.rand(new long[] { 64, 64, 24 }, generator: torch.manual_seed(3)).mul(0.3);
        return Blob(20, 24, 12, 6).add(Blob(46, 40, 8, 4)).add(noise).MoveToOuterDisposeScope();
    }

    /// <summary>The true tumour: only the first blob.</summary>
    private static Tensor SyntheticTruth()
    {
        using var scope = torch.NewDisposeScope();
        return Blob(20, 24, 12, 6).gt(0.5).MoveToOuterDisposeScope();
    }

    private static Tensor Blob(double cx, double cy, double cz, double radius)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(64, dtype: ScalarType.Float32).reshape(64, 1, 1).sub(cx);
        var y = torch.arange(64, dtype: ScalarType.Float32).reshape(1, 64, 1).sub(cy);
        var z = torch.arange(24, dtype: ScalarType.Float32).reshape(1, 1, 24).sub(cz).mul(2);
        var r2 = x.mul(x).add(y.mul(y)).add(z.mul(z));
        return r2.div(-2 * radius * radius).exp().MoveToOuterDisposeScope();
    }
}
