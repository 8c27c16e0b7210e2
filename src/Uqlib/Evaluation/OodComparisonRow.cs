namespace Uqlib.Evaluation;

/// <summary>One (detector, OOD set) row of an <see cref="OodComparison"/>.</summary>
/// <param name="Detector">The detector's name.</param>
/// <param name="OodSet">The OOD set's name.</param>
/// <param name="Shift">Whether the set is near or far OOD.</param>
/// <param name="Result">The detector's metrics on the in-distribution set against this OOD set.</param>
/// <exception cref="System.ArgumentNullException"><paramref name="Detector"/>, <paramref name="OodSet"/> or <paramref name="Result"/> is <see langword="null"/>.</exception>
public sealed record OodComparisonRow(string Detector, string OodSet, OodShift Shift, OodDetectionResult Result)
{
    /// <summary>Gets the detector's name.</summary>
    public string Detector { get; init; } = Preconditions.NotNull(Detector, nameof(Detector));

    /// <summary>Gets the OOD set's name.</summary>
    public string OodSet { get; init; } = Preconditions.NotNull(OodSet, nameof(OodSet));

    /// <summary>Gets the detector's metrics against this set.</summary>
    public OodDetectionResult Result { get; init; } = Preconditions.NotNull(Result, nameof(Result));
}
