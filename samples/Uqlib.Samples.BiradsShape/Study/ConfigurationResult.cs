using System.Collections.Generic;
using Uqlib.Samples.BiradsShape.Evaluation;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>The results of one training configuration (with or without augmentation).</summary>
/// <param name="Name">The configuration's name.</param>
/// <param name="Augmented">Whether training used random augmentation.</param>
/// <param name="InternalFolds">Each fold model on its own held-out fold.</param>
/// <param name="InternalAccuracy">Mean (SD) over folds of the held-out accuracy.</param>
/// <param name="InternalSensitivity">Mean (SD) over folds of the held-out sensitivity.</param>
/// <param name="InternalSpecificity">Mean (SD) over folds of the held-out specificity.</param>
/// <param name="ExternalFolds">Each fold model on the whole external set.</param>
/// <param name="ExternalAccuracy">Mean (SD) over fold models of the external accuracy.</param>
/// <param name="ExternalSensitivity">Mean (SD) over fold models of the external sensitivity.</param>
/// <param name="ExternalSpecificity">Mean (SD) over fold models of the external specificity.</param>
/// <param name="Uncertainty">Each post-hoc method on the internal and external sets.</param>
public sealed record ConfigurationResult(
    string Name,
    bool Augmented,
    IReadOnlyList<BinaryMetrics> InternalFolds,
    MeanSd InternalAccuracy,
    MeanSd InternalSensitivity,
    MeanSd InternalSpecificity,
    IReadOnlyList<BinaryMetrics> ExternalFolds,
    MeanSd ExternalAccuracy,
    MeanSd ExternalSensitivity,
    MeanSd ExternalSpecificity,
    IReadOnlyList<UncertaintySummary> Uncertainty);
