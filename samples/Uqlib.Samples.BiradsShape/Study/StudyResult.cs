using System.Collections.Generic;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>Every number of one run of the study; serialised to <c>results.json</c> and rendered into <c>report.md</c>.</summary>
/// <param name="Options">The settings of the run.</param>
/// <param name="Internal">The cross-validation cohort, as labelled and split into folds.</param>
/// <param name="Validation">The validation patients (same scanner, held out from every fold model): every post-hoc fit uses them.</param>
/// <param name="Test">The internal test patients (same scanner, held out from every fold model and from every fit).</param>
/// <param name="External">The external (domain-shifted) data set, as labelled.</param>
/// <param name="Configurations">The results without and with training augmentation.</param>
public sealed record StudyResult(
    StudyOptions Options, DatasetSummary Internal, DatasetSummary Validation, DatasetSummary Test, DatasetSummary External, IReadOnlyList<ConfigurationResult> Configurations);
