namespace Uqlib;

/// <summary>Progress of a streaming run: batches and samples processed so far.</summary>
/// <param name="Batches">The number of batches done.</param>
/// <param name="Samples">The number of samples done.</param>
public readonly record struct EstimationProgress(int Batches, long Samples);
