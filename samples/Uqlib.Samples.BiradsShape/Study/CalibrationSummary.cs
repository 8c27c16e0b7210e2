using System.Collections.Generic;
using Uqlib.Calibration;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>How temperature scaling (fitted per fold model on the validation patients) changed calibration on one set, pooled over the
/// fold models' cases.</summary>
/// <param name="Set"><c>validation</c>, <c>internal</c> or <c>external</c>.</param>
/// <param name="EceBefore">The expected calibration error (15 equal-width bins) of the models' own probabilities.</param>
/// <param name="EceAfter">The same after temperature scaling.</param>
/// <param name="NllBefore">The mean negative log-likelihood of the true class, before.</param>
/// <param name="NllAfter">The same after temperature scaling.</param>
/// <param name="ReliabilityBefore">The reliability diagram's bins (10 equal-width bins of top-label confidence), before.</param>
/// <param name="ReliabilityAfter">The same after temperature scaling.</param>
/// <param name="Plots">The reliability diagrams' PNG files, relative to the report folder (empty for the validation set).</param>
public sealed record CalibrationSummary(
    string Set,
    double EceBefore,
    double EceAfter,
    double NllBefore,
    double NllAfter,
    IReadOnlyList<ReliabilityBin> ReliabilityBefore,
    IReadOnlyList<ReliabilityBin> ReliabilityAfter,
    IReadOnlyList<string> Plots);
