using System;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Uqlib.Samples.BiradsShape.Training;

/// <summary>Trains a <see cref="ShapeNet"/> on labelled slices with Adam and cross-entropy, optionally with random augmentation.</summary>
/// <remarks>Deterministic for a given seed on one thread: the weights, the shuffles and the augmentation all draw from it.</remarks>
public static class ShapeTrainer
{
    /// <summary>Trains a new network.</summary>
    /// <param name="images">Training slices <c>(N, 1, S, S)</c>, float32 (not disposed).</param>
    /// <param name="labels">Class indices <c>(N)</c>, int64, 0 = round, 1 = irregular (not disposed).</param>
    /// <param name="options">The training options.</param>
    /// <param name="progress">Receives one report per epoch, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between mini-batches.</param>
    /// <returns>The trained network, in evaluation mode; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The shapes disagree, the images are not square, there are fewer than two slices, or an option is invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ShapeNet Train(
        Tensor images, Tensor labels, TrainingOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (images.dim() != 4 || images.shape[1] != 1 || images.shape[2] != images.shape[3])
        {
            throw new ArgumentException($"images must have shape (N, 1, S, S); found ({string.Join(", ", images.shape)}).", nameof(images));
        }

        if (labels.dim() != 1 || labels.shape[0] != images.shape[0] || labels.dtype != ScalarType.Int64)
        {
            throw new ArgumentException(
                $"labels must be int64 of shape ({images.shape[0]}); found {labels.dtype} ({string.Join(", ", labels.shape)}).", nameof(labels));
        }

        var n = images.shape[0];
        if (n < 2)
        {
            throw new ArgumentException($"images must hold at least two slices; found {n}.", nameof(images));
        }

        torch.manual_seed(options.Seed);
        var network = new ShapeNet((int)images.shape[2]);
        network.to(images.device);
        using var generator = new Generator((ulong)(uint)options.Seed + 1, images.device);
        using var optimizer = optim.Adam(network.parameters(), options.LearningRate, weight_decay: 1e-4);
        network.train();
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            double lossSum = 0;
            var batches = 0;
            using var order = randperm(n, generator: generator, device: images.device);
            for (long start = 0; start < n; start += options.BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var length = Math.Min(options.BatchSize, n - start);
                if (length < 2)
                {
                    break;
                }

                using var scope = NewDisposeScope();
                var rows = order.narrow(0, start, length);
                var batch = images.index_select(0, rows);
                if (options.Augment)
                {
                    batch = TrainingAugmentation.Apply(batch, generator);
                }

                optimizer.zero_grad();
                var loss = F.cross_entropy(network.call(batch), labels.index_select(0, rows));
                loss.backward();
                optimizer.step();
                lossSum += loss.ToDouble();
                batches++;
            }

            progress?.Report(new TrainingProgress(epoch, options.Epochs, lossSum / Math.Max(batches, 1)));
        }

        network.eval();
        return network;
    }
}
