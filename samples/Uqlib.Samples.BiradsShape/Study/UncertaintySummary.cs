namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>How one uncertainty score separates the misclassified slices (failures) from the others, on one set.</summary>
/// <param name="Method">The estimator's name.</param>
/// <param name="Set"><c>internal</c> (out-of-fold) or <c>external</c> (every fold model on every external slice).</param>
/// <param name="Count">Predictions scored.</param>
/// <param name="Failures">Misclassified predictions.</param>
/// <param name="MeanScoreCorrect">The mean score of the correct predictions (NaN when there is none).</param>
/// <param name="MeanScoreFailed">The mean score of the misclassified predictions (NaN when there is none); higher than
/// <paramref name="MeanScoreCorrect"/> when the score points at failures.</param>
public sealed record UncertaintySummary(string Method, string Set, int Count, int Failures, double MeanScoreCorrect, double MeanScoreFailed);
