using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using TorchSharp;
using Uqlib.Models;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Training;

/// <summary>K-fold cross-validation by patient: one <see cref="ShapeNet"/> per fold, trained on the slices of the other folds' patients.</summary>
public static class CrossValidation
{
    /// <summary>Trains one model per fold.</summary>
    /// <param name="images">All slices <c>(N, 1, S, S)</c>, float32 (not disposed).</param>
    /// <param name="labels">Each slice's class, 0 round or 1 irregular.</param>
    /// <param name="sliceFolds">Each slice's fold (its patient's fold), in [0, folds).</param>
    /// <param name="folds">The number of folds, at least 2.</param>
    /// <param name="options">The training options; fold k trains with seed <c>options.Seed + k</c>.</param>
    /// <param name="device">The device that trains and runs the models.</param>
    /// <param name="progress">Receives (fold, epoch progress) per epoch, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between mini-batches.</param>
    /// <returns>The fold models; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The lengths disagree, a fold is out of range or empty, or an option is invalid.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static FoldModels Train(
        Tensor images,
        IReadOnlyList<int> labels,
        IReadOnlyList<int> sliceFolds,
        int folds,
        TrainingOptions options,
        Device device,
        IProgress<(int Fold, TrainingProgress Epoch)>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(sliceFolds);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(device);
        options.Validate();
        if (labels.Count != images.shape[0] || sliceFolds.Count != labels.Count)
        {
            throw new ArgumentException(
                $"images, labels and sliceFolds must have the same length; found {images.shape[0]}, {labels.Count} and {sliceFolds.Count}.", nameof(labels));
        }

        if (folds < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(folds), folds, $"folds must be at least 2; found {folds}.");
        }

        var perFold = new int[folds];
        for (var i = 0; i < sliceFolds.Count; i++)
        {
            if (sliceFolds[i] < 0 || sliceFolds[i] >= folds)
            {
                throw new ArgumentException($"sliceFolds must be in [0, {folds}); found {sliceFolds[i]} at index {i}.", nameof(sliceFolds));
            }

            perFold[sliceFolds[i]]++;
        }

        for (var f = 0; f < folds; f++)
        {
            if (perFold[f] == 0 || perFold[f] == sliceFolds.Count)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Fold {f} holds {perFold[f]} of {sliceFolds.Count} slices; every fold needs some slices and the others some too."),
                    nameof(sliceFolds));
            }
        }

        var networks = new List<ShapeNet>(folds);
        var models = new List<IModel>(folds);
        try
        {
            for (var fold = 0; fold < folds; fold++)
            {
                var rows = new List<long>();
                for (var i = 0; i < sliceFolds.Count; i++)
                {
                    if (sliceFolds[i] != fold)
                    {
                        rows.Add(i);
                    }
                }

                var trainLabels = new long[rows.Count];
                for (var i = 0; i < trainLabels.Length; i++)
                {
                    trainLabels[i] = labels[(int)rows[i]];
                }

                using var scope = NewDisposeScope();
                var trainImages = images.index_select(0, tensor(rows.ToArray())).to(device);
                var labelTensor = tensor(trainLabels).to(device);
                var foldIndex = fold;
                var epochProgress = progress is null ? null : new InlineProgress<TrainingProgress>(p => progress.Report((foldIndex, p)));
                var network = ShapeTrainer.Train(trainImages, labelTensor, options with { Seed = options.Seed + fold }, epochProgress, cancellationToken);
                networks.Add(network);
                models.Add(new TorchModuleModel(network, OutputKind.MulticlassLogits, ShapeNet.FeatureLayer, new ModelOptions { MaxBatchSize = 256, Device = device }));
            }
        }
        catch
        {
            foreach (var network in networks)
            {
                network.Dispose();
            }

            throw;
        }

        return new FoldModels(networks, models, sliceFolds);
    }
}
