namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>The four groups of slices of one run.</summary>
/// <param name="Internal">The cross-validation cohort, balanced within each fold.</param>
/// <param name="SliceFolds">Each cross-validation slice's fold.</param>
/// <param name="Validation">The validation patients' slices (held out from every fold model; every post-hoc fit uses them).</param>
/// <param name="Test">The internal test patients' slices (held out from every fold model and every fit).</param>
/// <param name="External">The external patients' slices (another scanner).</param>
internal sealed record StudyData(LabelledSlices Internal, int[] SliceFolds, LabelledSlices Validation, LabelledSlices Test, LabelledSlices External);
