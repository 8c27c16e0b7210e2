using System.Collections.Generic;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Latent;
using Uqlib.Models;
using Uqlib.Scores;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>
/// Streaming and chunked runs of the small CNN (see <see cref="SmallCnn"/>), one libtorch thread: <c>EstimateAll</c> over lazily made
/// batches of 500 (1 × 28 × 28) images, and one <c>Estimate</c> of 10,000 images with and without <c>MaxBatchSize = 500</c>.
/// </summary>
/// <remarks>
/// Time here; peak memory (process RSS, which <see cref="MemoryDiagnoserAttribute"/> does not see) from the static scenarios below, each
/// run in a fresh process by <c>--peak-memory</c> (see <see cref="PeakMemoryRows"/>) beside Peers/memory_peer.py.
/// </remarks>
[MemoryDiagnoser]
public class StreamingBenchmarks
{
    private const int BatchSize = 500;

    private readonly List<Tensor> weights = new();
    private SoftmaxEstimator whole = null!;
    private SoftmaxEstimator chunked = null!;
    private Tensor images = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        whole = new SoftmaxEstimator(SmallCnn.Create(0, weights), SoftmaxScore.Entropy);
        chunked = new SoftmaxEstimator(SmallCnn.Create(0, weights, new ModelOptions { MaxBatchSize = BatchSize }), SoftmaxScore.Entropy);
        images = torch.rand(new long[] { 10_000, 1, 28, 28 }, generator: torch.manual_seed(0));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        weights.ForEach(w => w.Dispose());
        images.Dispose();
    }

    /// <summary>EstimateAll over 20 batches of 500 images (10,000).</summary>
    [Benchmark]
    public void EstimateAllOf10000() => whole.EstimateAll(Batches(20)).Dispose();

    /// <summary>One Estimate of 10,000 images in chunks of 500.</summary>
    [Benchmark]
    public void EstimateOf10000InChunks() => chunked.Estimate(images).Dispose();

    /// <summary>Peak-memory scenario: the process with libtorch loaded and nothing done, the floor under every row.</summary>
    internal static void Idle(string[] arguments)
    {
        torch.set_num_threads(1);
        torch.ones(1).Dispose();
    }

    /// <summary>Peak-memory scenario: EstimateAll over <c>arguments[0]</c> images in lazily made batches of 500.</summary>
    internal static void EstimateAllOfImages(string[] arguments)
    {
        torch.set_num_threads(1);
        var count = int.Parse(arguments[0], CultureInfo.InvariantCulture);
        var weights = new List<Tensor>();
        var estimator = new SoftmaxEstimator(SmallCnn.Create(0, weights), SoftmaxScore.Entropy);
        estimator.EstimateAll(Batches(count / BatchSize)).Dispose();
        weights.ForEach(w => w.Dispose());
    }

    /// <summary>Peak-memory scenario: one Estimate of 10,000 images, in chunks of <c>arguments[0]</c> ("none": no chunking).</summary>
    internal static void EstimateOfImagesInChunks(string[] arguments)
    {
        torch.set_num_threads(1);
        var options = new ModelOptions { MaxBatchSize = arguments[0] == "none" ? null : int.Parse(arguments[0], CultureInfo.InvariantCulture) };
        var weights = new List<Tensor>();
        var estimator = new SoftmaxEstimator(SmallCnn.Create(0, weights, options), SoftmaxScore.Entropy);
        using (var inputs = torch.rand(new long[] { 10_000, 1, 28, 28 }, generator: torch.manual_seed(0)))
        {
            estimator.Estimate(inputs).Dispose();
        }

        weights.ForEach(w => w.Dispose());
    }

    /// <summary>Peak-memory scenario: kNN scores of 10,000 × 512 queries against a 50,000 × 512 bank, k = 50, default chunking (as LatentBenchmarks).</summary>
    internal static void KnnOf10000Queries(string[] arguments)
    {
        torch.set_num_threads(1);
        using var generator = new Generator(0);
        KnnDetector knn;
        using (var bank = torch.randn(new long[] { 50_000, 512 }, generator: generator))
        {
            knn = KnnDetector.Fit(bank, new KnnOptions { K = 50 });
        }

        using (knn)
        using (var queries = torch.randn(new long[] { 10_000, 512 }, generator: generator))
        {
            knn.Score(queries).Dispose();
        }
    }

    /// <summary>Makes seeded batches of 500 images one at a time, disposing each when the consumer moves on, as a data loader would.</summary>
    private static IEnumerable<Batch> Batches(int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var inputs = torch.rand(new long[] { BatchSize, 1, 28, 28 }, generator: torch.manual_seed(i));
            yield return new Batch(inputs);
        }
    }
}
