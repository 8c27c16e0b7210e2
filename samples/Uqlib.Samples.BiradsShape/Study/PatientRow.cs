using System.Collections.Generic;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>One external patient: its cases (fold model × slice), how many failed, and each method's highest case score.</summary>
/// <param name="Patient">The patient's index in the external set.</param>
/// <param name="Irregular">Whether the patient's tumour is irregular (the patient's outcome).</param>
/// <param name="Cases">The patient's cases.</param>
/// <param name="Failures">The patient's misclassified cases.</param>
/// <param name="AnyFailed">Whether any of the patient's slices was misclassified by any fold model.</param>
/// <param name="MeanProbability">The mean calibrated probability of irregular over the patient's cases.</param>
/// <param name="MaxScores">Each method's highest score over the patient's cases, by method name.</param>
public sealed record PatientRow(int Patient, bool Irregular, int Cases, int Failures, bool AnyFailed, double MeanProbability, IReadOnlyDictionary<string, double> MaxScores);
