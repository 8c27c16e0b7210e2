namespace Uqlib.Evaluation;

/// <summary>What flagging every case with a score at or above a threshold achieves: cases flagged for review count as predicted failures.</summary>
/// <param name="Threshold">The score threshold; a case is flagged when its score is at or above it.</param>
/// <param name="Sensitivity">The fraction of failures flagged (true-positive rate).</param>
/// <param name="Specificity">The fraction of successes not flagged (1 − false-positive rate).</param>
/// <param name="FractionFlagged">The fraction of all cases flagged, i.e. the share of cases a person must review.</param>
public sealed record OperatingPoint(double Threshold, double Sensitivity, double Specificity, double FractionFlagged);
