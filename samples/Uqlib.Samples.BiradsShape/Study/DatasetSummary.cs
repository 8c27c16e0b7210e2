using System.Collections.Generic;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>What one data set (internal or external) held at each step of the auto-labelling.</summary>
/// <param name="Patients">Patients.</param>
/// <param name="RoundPatients">Patients with a round tumour.</param>
/// <param name="IrregularPatients">Patients with an irregular tumour.</param>
/// <param name="Slices">Slices with a tumour (planes and MIPs) before labelling.</param>
/// <param name="Mips">Of which axial maximum-intensity projections.</param>
/// <param name="Labelled">Slices per class after labelling, before setting ambiguous ones aside and balancing.</param>
/// <param name="Ambiguous">Slices set aside as ambiguous.</param>
/// <param name="Used">Slices per class used by the study (for the internal set, after balancing within each fold).</param>
/// <param name="MeanDiceRoundPatients">Mean ellipse Dice of the slices of round tumours.</param>
/// <param name="MeanDiceIrregularPatients">Mean ellipse Dice of the slices of irregular tumours.</param>
/// <param name="Folds">Slices per class in each cross-validation fold (empty for the external set).</param>
public sealed record DatasetSummary(
    int Patients,
    int RoundPatients,
    int IrregularPatients,
    int Slices,
    int Mips,
    ClassCounts Labelled,
    int Ambiguous,
    ClassCounts Used,
    double MeanDiceRoundPatients,
    double MeanDiceIrregularPatients,
    IReadOnlyList<ClassCounts> Folds);
