namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>One slice picked for the report because its combined uncertainty is among the highest or the lowest of its set.</summary>
/// <param name="Rank">1 for the most (or least) uncertain slice.</param>
/// <param name="MostUncertain">Whether the slice is among the most uncertain (otherwise among the least).</param>
/// <param name="Slice">The slice's index within the set.</param>
/// <param name="Patient">The slice's patient.</param>
/// <param name="Truth">The true class: 0 round, 1 irregular.</param>
/// <param name="MeanProbability">The mean over the fold models of the probability of irregular.</param>
/// <param name="Failures">How many of the fold models misclassify the slice.</param>
/// <param name="Score">The z-score combination, averaged over the fold models.</param>
/// <param name="File">The PNG file, relative to the report folder.</param>
public sealed record ExampleSlice(int Rank, bool MostUncertain, int Slice, int Patient, int Truth, double MeanProbability, int Failures, double Score, string File);
