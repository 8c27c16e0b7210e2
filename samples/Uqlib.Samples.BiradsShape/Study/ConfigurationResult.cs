using System.Collections.Generic;
using Uqlib.Samples.BiradsShape.Evaluation;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>The results of one training configuration (with or without augmentation).</summary>
/// <param name="Name">The configuration's name.</param>
/// <param name="Augmented">Whether training used random augmentation.</param>
/// <param name="InternalFolds">Each fold model on its own held-out fold.</param>
/// <param name="InternalAccuracy">Mean (SD) over folds of the held-out accuracy.</param>
/// <param name="InternalRocAuc">Mean (SD) over folds of the held-out ROC AUC of the probability of irregular (folds with one class left out).</param>
/// <param name="InternalSensitivity">Mean (SD) over folds of the held-out sensitivity.</param>
/// <param name="InternalSpecificity">Mean (SD) over folds of the held-out specificity.</param>
/// <param name="ExternalFolds">Each fold model on the whole external set.</param>
/// <param name="ExternalAccuracy">Mean (SD) over fold models of the external accuracy.</param>
/// <param name="ExternalRocAuc">Mean (SD) over fold models of the external ROC AUC of the probability of irregular.</param>
/// <param name="ExternalSensitivity">Mean (SD) over fold models of the external sensitivity.</param>
/// <param name="ExternalSpecificity">Mean (SD) over fold models of the external specificity.</param>
/// <param name="Temperatures">Each fold model's temperature, fitted on the validation patients.</param>
/// <param name="TtaPolicy">The names of the test-time augmentations chosen by greedy policy search on the validation patients, in
/// the order they were added (a repeated name counts as often as it appears).</param>
/// <param name="PolicyTemperature">The temperature greedy policy search fitted for its final policy; the TTA estimators apply it to the averaged prediction.</param>
/// <param name="Calibration">Calibration before and after temperature scaling, per set.</param>
/// <param name="Uncertainty">Each post-hoc method on the internal test and external sets: mean scores of correct and failed cases.</param>
/// <param name="FailureDetection">The failure-detection comparison of every method on the internal test and external sets.</param>
/// <param name="Examples">Uncertainty-ranked external slices saved as pictures.</param>
/// <param name="ExternalPatients">The external set with the patient as the unit: patient-clustered intervals, the patient table and patient-level calibration.</param>
/// <param name="Conformal">Conformal sets (round, irregular, both) of the internal test and external sets, or <see langword="null"/>.</param>
public sealed record ConfigurationResult(
    string Name,
    bool Augmented,
    IReadOnlyList<BinaryMetrics> InternalFolds,
    MeanSd InternalAccuracy,
    MeanSd InternalRocAuc,
    MeanSd InternalSensitivity,
    MeanSd InternalSpecificity,
    IReadOnlyList<BinaryMetrics> ExternalFolds,
    MeanSd ExternalAccuracy,
    MeanSd ExternalRocAuc,
    MeanSd ExternalSensitivity,
    MeanSd ExternalSpecificity,
    IReadOnlyList<double> Temperatures,
    IReadOnlyList<string> TtaPolicy,
    double PolicyTemperature,
    IReadOnlyList<CalibrationSummary> Calibration,
    IReadOnlyList<UncertaintySummary> Uncertainty,
    IReadOnlyList<FailureDetectionTable> FailureDetection,
    IReadOnlyList<ExampleSlice> Examples,
    PatientAnalysis ExternalPatients,
    IReadOnlyList<ConformalSetSummary>? Conformal = null);
