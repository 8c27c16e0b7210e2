using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using FluentAssertions;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Models;
using Uqlib.Scores;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests;

public sealed class UncertaintyEstimatorExtensionsTests
{
    private static readonly DelegateModel Identity = new(x => x.alias(), OutputKind.MulticlassLogits);

    /// <summary>Makes batches lazily and disposes each once the consumer moves on, as a streaming data loader would.</summary>
    private static IEnumerable<Batch> Batches(int count, int size, int classes)
    {
        for (var i = 0; i < count; i++)
        {
            using var inputs = torch.randn(size, classes, generator: torch.manual_seed(i));
            yield return new Batch(inputs);
        }
    }

    [Fact]
    public void EstimateAll_ConcatenatesBatchesInOrder()
    {
        var estimator = new SoftmaxEstimator(Identity, SoftmaxScore.Entropy);
        using var all = torch.randn(8, 4, generator: torch.manual_seed(0));
        using var first = all[..3];
        using var second = all[3..];
        using var estimate = estimator.EstimateAll(new[] { new Batch(first), new Batch(second) });
        using var expected = SoftmaxScores.Compute(SoftmaxScore.Entropy, all, OutputKind.MulticlassLogits);
        estimate.Scores.allclose(expected).Should().BeTrue();
        estimate.Probabilities.shape.Should().Equal(8, 4);
    }

    [Fact]
    public void EstimateAll_OverACollection_ReportsTheTotalAndTheFraction()
    {
        var estimator = new SoftmaxEstimator(Identity);
        var batches = Batches(3, 4, 2).Select(b => new Batch(b.Inputs.clone())).ToArray();
        var reports = new List<EstimationProgress>();
        using var estimate = estimator.EstimateAll(batches, new SynchronousProgress(reports.Add));
        reports.Select(r => r.TotalSamples).Should().Equal(12L, 12L, 12L);
        reports.Select(r => r.Fraction).Should().Equal(4 / 12.0, 8 / 12.0, 1.0);
    }

    [Fact]
    public void EstimateAll_OverALazySequence_ReportsNoTotal()
    {
        var estimator = new SoftmaxEstimator(Identity);
        var reports = new List<EstimationProgress>();
        using var estimate = estimator.EstimateAll(Batches(2, 4, 2), new SynchronousProgress(reports.Add));
        reports.Should().AllSatisfy(r => (r.TotalSamples, r.Fraction).Should().Be(((long?)null, (double?)null)));
    }

    [Fact]
    public void EstimateAll_ReportsProgressAfterEachBatch()
    {
        var estimator = new SoftmaxEstimator(Identity);
        var reports = new List<EstimationProgress>();
        using var estimate = estimator.EstimateAll(Batches(3, 4, 2), new SynchronousProgress(reports.Add));
        reports.Should().Equal(new EstimationProgress(1, 4), new EstimationProgress(2, 8), new EstimationProgress(3, 12));
    }

    [Fact]
    public void EstimateAll_WhenCancelled_Throws()
    {
        var estimator = new SoftmaxEstimator(Identity);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var act = () => estimator.EstimateAll(Batches(3, 4, 2), cancellationToken: cancellation.Token);
        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void EstimateAll_OfNoBatch_Throws()
    {
        var estimator = new SoftmaxEstimator(Identity);
        var act = () => estimator.EstimateAll(Array.Empty<Batch>());
        act.Should().Throw<ArgumentException>().WithParameterName("batches");
    }

    [Fact]
    public void EstimateAll_Over1000Batches_KeepsOnlyTheResults()
    {
        var estimator = new SoftmaxEstimator(Identity, SoftmaxScore.OneMinusMargin);
        estimator.EstimateAll(Batches(10, 16, 10)).Dispose();
        var before = LiveTensors.Count;
        using (var estimate = estimator.EstimateAll(Batches(1000, 16, 10)))
        {
            estimate.Count.Should().Be(16_000);
            LiveTensors.Count.Should().Be(before + 2, "only the concatenated probabilities and scores may outlive the batches");
        }

        LiveTensors.Count.Should().Be(before);
    }

    [LinuxFact]
    public void EstimateAll_OverManyBatches_HoldsOneBatchAndTheResults()
    {
        // 60 batches of 500 images (28 × 28); the model's activations take about 30 MiB per batch, the result 44 bytes per image (1.3 MB).
        var peak = PeakMemory.MeasureMiB(EstimateAllOverImages, "60");

        peak.Should().BeLessThan(128, "one batch's working set (about 30 MiB, which the C heap may hold twice) and 2.5 times the result may be held, however many batches; before the fix 245 MiB");
    }

    [LinuxFact]
    public void EstimateAll_Over100000ImagesOfALazySequence_HoldsTheResultsAndOneChunk()
    {
        // The results: 10^5 × 200 float32 probabilities (76.29 MiB) and 10^5 float64 scores (0.76 MiB), R = 77.1 MiB. Gathered in 22
        // chunks of a quarter of the rows so far (the last: 22,193 rows, 17.1 MiB) and copied into exact tensors chunk by chunk, each
        // freed once copied: R + one chunk + one batch's working set (five (500, 200) tensors, 2 MiB) + the runtime's own growth over
        // 200 batches (8–11 MiB measured with a collection, below) ≤ 107 MiB. Measured 101.7 MiB (3 runs); the buffer that grew by half
        // and was trimmed held the results twice while copying (2R = 154 MiB).
        var peak = PeakMemory.MeasureHeldMiB(EstimateAllOver100000SmallImages, "lazy");

        peak.Should().BeLessThan(110, "the results, one chunk and one batch are held, never the results twice");
    }

    [LinuxFact]
    public void EstimateAll_Over100000ImagesOfACollection_HoldsTheResultsOnce()
    {
        // As above with the batches made before the call (a list, so the total is known): each result is one tensor of exactly its
        // size, filled in place and handed over without a copy: R (77.1 MiB) + one batch (2 MiB) + the runtime's growth. Measured
        // 85.6–88.4 MiB (3 runs); 2R = 154 MiB before.
        var peak = PeakMemory.MeasureHeldMiB(EstimateAllOver100000SmallImages, "collection");

        peak.Should().BeLessThan(95, "the results are allocated once at their exact size and never copied");
    }

    /// <summary>
    /// Streams <c>arguments[0]</c> seeded batches of 500 images (28 × 28) through a small model whose activations have the sizes of a
    /// small CNN's (8 scaled copies of each image, 12.5 MB per batch; ReLU; 2 × 2 max pooling; a linear layer to 10 classes).
    /// </summary>
    internal static void EstimateAllOverImages(string[] arguments)
    {
        var batches = int.Parse(arguments[0], CultureInfo.InvariantCulture);
        using var generator = new Generator(100);
        using var scale = torch.randn(new long[] { 1, 8, 1, 1 }, generator: generator);
        using var head = torch.randn(new long[] { 10, 8 * 14 * 14 }, generator: generator).mul_(0.03);
        var model = new DelegateModel(
            x => nn.functional.linear(nn.functional.max_pool2d(nn.functional.relu(x.mul(scale)), 2).flatten(1), head),
            OutputKind.MulticlassLogits);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.Entropy);
        estimator.EstimateAll(Images(2)).Dispose();

        PeakMemory.Start();
        estimator.EstimateAll(Images(batches)).Dispose();
    }

    /// <summary>
    /// EstimateAll over 200 seeded batches of 500 images (1 × 8 × 8) through a linear model to 200 classes, entropy scores; the batches
    /// are made lazily (<c>arguments[0]</c> = "lazy") or all before the call, in a list ("collection").
    /// </summary>
    internal static void EstimateAllOver100000SmallImages(string[] arguments)
    {
        using var weights = torch.randn(new long[] { 64, 200 }, generator: torch.manual_seed(1));
        var model = new DelegateModel(x => x.flatten(1).matmul(weights), OutputKind.MulticlassLogits);
        var estimator = new SoftmaxEstimator(model, SoftmaxScore.Entropy);
        estimator.EstimateAll(SmallImages(3)).Dispose();
        estimator.EstimateAll(SmallImages(3).Select(b => new Batch(b.Inputs.clone())).ToList()).Dispose();
        var batches = arguments[0] == "lazy" ? SmallImages(200) : SmallImages(200).Select(b => new Batch(b.Inputs.clone())).ToList();

        PeakMemory.Start();
        estimator.EstimateAll(batches).Dispose();
    }

    private static IEnumerable<Batch> SmallImages(int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var inputs = torch.rand(new long[] { 500, 1, 8, 8 }, generator: torch.manual_seed(i));
            yield return new Batch(inputs);
        }
    }

    private static IEnumerable<Batch> Images(int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var inputs = torch.rand(new long[] { 500, 1, 28, 28 }, generator: torch.manual_seed(i));
            yield return new Batch(inputs);
        }
    }

    private sealed class SynchronousProgress(Action<EstimationProgress> report) : IProgress<EstimationProgress>
    {
        public void Report(EstimationProgress value) => report(value);
    }
}
