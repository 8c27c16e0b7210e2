using System;
using System.Collections.Generic;
using System.Globalization;
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
        var estimator = new SoftmaxEstimator(Identity, SoftmaxScore.Margin);
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

    /// <summary>
    /// Streams seeded batches of 28 × 28 images (<c>arguments</c>: batches, images per batch, "cnn" or "cheap") through a small model:
    /// the CNN of the benchmarks (two 3 × 3 convolutions with pooling, then a linear layer), or a cheaper one with activations of the
    /// same sizes (8 scaled copies of the image, pooling, a linear layer).
    /// </summary>
    internal static void EstimateAllOverImages(string[] arguments)
    {
        var batches = int.Parse(arguments[0], CultureInfo.InvariantCulture);
        var size = arguments.Length > 1 ? int.Parse(arguments[1], CultureInfo.InvariantCulture) : 500;
        var cnn = arguments.Length > 2 && arguments[2] == "cnn";
        using var generator = new Generator(100);
        using var w1 = torch.randn(new long[] { 8, 1, 3, 3 }, generator: generator).mul_(0.3);
        using var w2 = torch.randn(new long[] { 16, 8, 3, 3 }, generator: generator).mul_(0.1);
        using var w3 = torch.randn(new long[] { 10, 16 * 7 * 7 }, generator: generator).mul_(0.03);
        using var scale = torch.randn(new long[] { 1, 8, 1, 1 }, generator: generator);
        using var head = torch.randn(new long[] { 10, 8 * 14 * 14 }, generator: generator).mul_(0.03);
        Func<Tensor, Tensor> forward = cnn
            ? x =>
            {
                var h = nn.functional.max_pool2d(nn.functional.relu(nn.functional.conv2d(x, w1, padding: new long[] { 1, 1 })), 2);
                h = nn.functional.max_pool2d(nn.functional.relu(nn.functional.conv2d(h, w2, padding: new long[] { 1, 1 })), 2);
                return nn.functional.linear(h.flatten(1), w3);
            }
            : x => nn.functional.linear(nn.functional.max_pool2d(nn.functional.relu(x.mul(scale)), 2).flatten(1), head);
        var estimator = new SoftmaxEstimator(new DelegateModel(forward, OutputKind.MulticlassLogits), SoftmaxScore.Entropy);
        estimator.EstimateAll(Images(2, size)).Dispose();

        PeakMemory.Start();
        estimator.EstimateAll(Images(batches, size)).Dispose();
    }

    private static IEnumerable<Batch> Images(int count, int size)
    {
        for (var i = 0; i < count; i++)
        {
            using var inputs = torch.rand(new long[] { size, 1, 28, 28 }, generator: torch.manual_seed(i));
            yield return new Batch(inputs);
        }
    }

    private sealed class SynchronousProgress(Action<EstimationProgress> report) : IProgress<EstimationProgress>
    {
        public void Report(EstimationProgress value) => report(value);
    }
}
