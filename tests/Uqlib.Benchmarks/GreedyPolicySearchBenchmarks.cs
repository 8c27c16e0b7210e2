using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Augmentation;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>
/// Greedy policy search, 20 steps over a cache of 1,000 candidates × 5,000 samples × 10 classes (float32 log-probabilities). The cache is
/// the one Peers/gps_peer.py writes to /tmp/uqlib_gps_bench.f32 (run the peer first); the peer is that script, in float64 NumPy/SciPy or,
/// with <c>--dtype float32</c>, the authors' rule in float32 PyTorch (<c>--steps</c> sets how many steps it runs). One libtorch thread.
/// The selection of the first search is written to /tmp/uqlib_gps_bench.selection.txt; the peer's <c>--compare</c> checks it against its own. Few iterations: one
/// search takes tens of seconds and the in-process toolchain stops a benchmark after five minutes.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[WarmupCount(1)]
[IterationCount(2)]
public class GreedyPolicySearchBenchmarks
{
    private const int Candidates = 1000;
    private const int Samples = 5000;
    private const int Classes = 10;

    private Tensor cache = null!;
    private Tensor labels = null!;
    private bool written;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        var values = File.ReadAllBytes("/tmp/uqlib_gps_bench.f32");
        var floats = new float[Candidates * Samples * Classes];
        Buffer.BlockCopy(values, 0, floats, 0, values.Length);
        cache = torch.tensor(floats, new long[] { Candidates, Samples, Classes });
        var labelBytes = File.ReadAllBytes("/tmp/uqlib_gps_bench.labels");
        var longs = new long[Samples];
        Buffer.BlockCopy(labelBytes, 0, longs, 0, labelBytes.Length);
        labels = torch.tensor(longs);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        cache.Dispose();
        labels.Dispose();
    }

    [Benchmark]
    public int Search20Steps()
    {
        var result = GreedyPolicySearch.Search(cache, labels, new GreedyPolicySearchOptions { Steps = 20 });
        if (!written)
        {
            written = true;
            File.WriteAllLines("/tmp/uqlib_gps_bench.selection.txt", Array.ConvertAll(System.Linq.Enumerable.ToArray(result.Steps), s => s.ToString()));
        }

        return result.SelectedCandidates[^1];
    }
}
