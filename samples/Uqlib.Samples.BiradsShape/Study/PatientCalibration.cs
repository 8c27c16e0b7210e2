namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>Calibration at the patient level: each patient's mean calibrated probability of irregular against its tumour shape.</summary>
/// <param name="Patients">The patients.</param>
/// <param name="Irregular">Patients with an irregular tumour.</param>
/// <param name="Ece">The ECE of the patient probabilities (10 equal-width bins, as the report's reliability diagrams).</param>
/// <param name="Brier">The Brier score of the patient probabilities.</param>
public sealed record PatientCalibration(int Patients, int Irregular, double Ece, double Brier);
