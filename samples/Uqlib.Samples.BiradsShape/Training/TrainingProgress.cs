namespace Uqlib.Samples.BiradsShape.Training;

/// <summary>Progress of one training run: the epoch just finished and its mean training loss.</summary>
/// <param name="Epoch">The epoch just finished, from 1.</param>
/// <param name="Epochs">The number of epochs.</param>
/// <param name="MeanLoss">The mean cross-entropy over the epoch's mini-batches.</param>
public readonly record struct TrainingProgress(int Epoch, int Epochs, double MeanLoss);
