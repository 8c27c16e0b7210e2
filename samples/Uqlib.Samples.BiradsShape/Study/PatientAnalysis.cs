using System.Collections.Generic;
using System.Text.Json.Serialization;
using Uqlib.Evaluation;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>The external set analysed with the patient as the unit: the five fold models' cases of one patient's slices are one cluster.</summary>
/// <param name="Patients">External patients with at least one case.</param>
/// <param name="Clusters">How the cases fall into patients, or <see langword="null"/> when the clustered intervals are undefined.</param>
/// <param name="Undefined">Why the clustered intervals are undefined (fewer than two patients hold a failure or a success), or <see langword="null"/>.</param>
/// <param name="Rows">The comparison of every method with Obuchowski's patient-clustered AUROC interval and paired test (empty when undefined).</param>
/// <param name="Comparison">The library's clustered table (not serialised: the rows are).</param>
/// <param name="Widening">Per method: the naive DeLong interval's width next to the clustered one's.</param>
/// <param name="MedianWidthRatio">The median over methods of clustered width / naive width, or <see langword="null"/> when undefined.</param>
/// <param name="PatientRows">One row per patient: its cases, failures, "any slice misclassified", and the max-slice scores.</param>
/// <param name="PatientLevel">Per failure rule (any, majority) and method: the patient-level AUROC of the max-slice score, with DeLong's interval (patients are independent).</param>
/// <param name="PatientLevelUndefined">For each failure rule whose patient-level AUROC is undefined (every patient, or none, failed), why.</param>
/// <param name="PatientCalibration">Patient-level calibration: the mean calibrated probability of irregular per patient against the patient's tumour shape.</param>
public sealed record PatientAnalysis(
    int Patients,
    ClusterSummary? Clusters,
    string? Undefined,
    IReadOnlyList<MethodComparisonRow> Rows,
    [property: JsonIgnore] MethodComparison? Comparison,
    IReadOnlyList<IntervalWidening> Widening,
    double? MedianWidthRatio,
    IReadOnlyList<PatientRow> PatientRows,
    IReadOnlyList<PatientLevelMethod> PatientLevel,
    IReadOnlyList<string> PatientLevelUndefined,
    PatientCalibration PatientCalibration);
