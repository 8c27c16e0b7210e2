namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>Conformal sets of one set of slices (internal test or external) at level <see cref="Alpha"/>.</summary>
/// <param name="Set">The set's name.</param>
/// <param name="Folds">The number of fold models averaged.</param>
/// <param name="Cases">The number of slices.</param>
/// <param name="Alpha">The miscoverage level α.</param>
/// <param name="CalibrationPatients">The number of validation patients (one calibration score each).</param>
/// <param name="Coverage">The share of slices whose true shape is in the set.</param>
/// <param name="RoundShare">The share of {round} sets.</param>
/// <param name="IrregularShare">The share of {irregular} sets.</param>
/// <param name="BothShare">The share of {both} sets: refer.</param>
/// <param name="PatientCoverage">Each patient's covered share of slices, averaged over patients.</param>
/// <param name="AllSlicesCoveredShare">The share of patients whose slices are all covered.</param>
public sealed record ConformalSetSummary(
    string Set,
    int Folds,
    int Cases,
    double Alpha,
    int CalibrationPatients,
    double Coverage,
    double RoundShare,
    double IrregularShare,
    double BothShare,
    double PatientCoverage,
    double AllSlicesCoveredShare);
