using Uqlib.Evaluation;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>One method evaluated at the patient level: max-slice score against the patient's failure label, one case per patient.</summary>
/// <param name="Rule">How the patient's failure label is made from its cases: <c>any</c> (any case misclassified) or <c>majority</c> (more than half).</param>
/// <param name="Method">The method.</param>
/// <param name="Auroc">The patient-level AUROC.</param>
/// <param name="AurocCi">DeLong's 95% interval (patients are independent); null where it is undefined.</param>
public sealed record PatientLevelMethod(string Rule, string Method, double Auroc, ConfidenceInterval? AurocCi);
