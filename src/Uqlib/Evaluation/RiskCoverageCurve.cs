using System.Collections.Generic;

namespace Uqlib.Evaluation;

/// <summary>The risk–coverage curve of selective prediction: keep the most confident (lowest-score) cases, and see how many of them failed.</summary>
/// <remarks>
/// One point per distinct score t, from coverage 1 down: coverage = cases with score ≤ t / all cases, risk = failures among them / their
/// number; a final point at coverage 0 repeats the last risk (Geifman &amp; El-Yaniv 2017; Jaeger et al. 2023, fd-shifts).
/// </remarks>
public sealed class RiskCoverageCurve
{
    internal RiskCoverageCurve(double[] coverages, double[] risks)
    {
        Coverages = coverages;
        Risks = risks;
    }

    /// <summary>Gets the coverages, descending from 1 to 0.</summary>
    public IReadOnlyList<double> Coverages { get; }

    /// <summary>Gets the selective risks (failure rates among the kept cases).</summary>
    public IReadOnlyList<double> Risks { get; }
}
