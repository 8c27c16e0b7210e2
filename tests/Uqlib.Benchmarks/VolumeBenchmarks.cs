using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Imaging;
using Uqlib.Models;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>
/// Volumes: reading a 256 × 256 × 160 int16 <c>.nii.gz</c> into float32 (the peer is Peers/nifti_peer.py, nibabel's
/// <c>get_fdata(dtype=float32)</c> on the same values written by nibabel), and the cost of <see cref="SlidingWindowModel"/> over the
/// plain forward passes of the same windows (a small 3-D CNN, 64 × 96 × 96 volume, 32³ windows, overlap 0.25, Gaussian blend).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class VolumeBenchmarks
{
    private string folder = null!;
    private string path = null!;
    private Tensor volume = null!;
    private Tensor[] windows = null!;
    private nn.Module<Tensor, Tensor> network = null!;
    private IModel patchModel = null!;
    private SlidingWindowModel sliding = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        folder = Path.Combine(Path.GetTempPath(), "uqlib-volume-benchmark");
        Directory.CreateDirectory(folder);
        path = Path.Combine(folder, "mri.nii.gz");
        using (var data = SyntheticMri())
        {
            Nifti.Write(path, data, NiftiAffine.Identity);
        }

        torch.manual_seed(0);
        network = nn.Sequential(
            nn.Conv3d(1, 8, 3, padding: 1),
            nn.ReLU(),
            nn.Conv3d(8, 8, 3, padding: 1),
            nn.ReLU(),
            nn.Conv3d(8, 2, 1));
        network.eval();
        patchModel = new TorchModuleModel(network, OutputKind.MulticlassLogits);
        var options = new SlidingWindowOptions { RoiSize = [32, 32, 32], Overlap = 0.25, Blend = SlidingWindowBlend.Gaussian, WindowBatchSize = 4 };
        sliding = new SlidingWindowModel(patchModel, options);
        volume = torch.rand(new long[] { 1, 1, 64, 96, 96 }, generator: torch.manual_seed(1));

        // The same windows the sliding model runs (starts every 24 voxels, the last shifted back), cut once.
        long[] depth = [0, 24, 32];
        long[] side = [0, 24, 48, 64];
        windows = new Tensor[depth.Length * side.Length * side.Length];
        int k = 0;
        foreach (long z in depth)
        {
            foreach (long y in side)
            {
                foreach (long x in side)
                {
                    windows[k++] = volume.narrow(2, z, 32).narrow(3, y, 32).narrow(4, x, 32).contiguous();
                }
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(folder, recursive: true);

    [Benchmark]
    public void ReadNiftiGz()
    {
        using var read = Nifti.Read(path);
    }

    [Benchmark]
    public void SlidingWindow()
    {
        using var output = sliding.Forward(volume);
    }

    /// <summary>The floor under <see cref="SlidingWindow"/>: the same 48 windows through the model in batches of 4, nothing blended.</summary>
    [Benchmark]
    public void PlainWindowedPasses()
    {
        for (int i = 0; i < windows.Length; i += 4)
        {
            using var batch = torch.cat(windows[i..(i + 4)], 0);
            using var output = patchModel.Forward(batch);
        }
    }

    /// <summary>int16 values as an MRI volume has them: a smooth body, texture and noise (the same formula as Peers/nifti_peer.py).</summary>
    internal static Tensor SyntheticMri()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(256, dtype: ScalarType.Float64).reshape(256, 1, 1);
        var y = torch.arange(256, dtype: ScalarType.Float64).reshape(1, 256, 1);
        var z = torch.arange(160, dtype: ScalarType.Float64).reshape(1, 1, 160);
        var body = x.div(20).sin().mul(y.div(17).cos()).mul(300).add(500);
        var texture = x.mul(31).add(y.mul(17)).add(z.mul(7)).remainder(61);
        return body.add(texture).floor().to(ScalarType.Int16).MoveToOuterDisposeScope();
    }
}
