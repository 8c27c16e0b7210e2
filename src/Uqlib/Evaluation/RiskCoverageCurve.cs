using System.Collections.Generic;

namespace Uqlib.Evaluation;

/// <summary>The risk–coverage curve of selective prediction: keep the most confident (lowest-score) cases, and see how many of them failed.</summary>
/// <remarks>
/// One point per distinct score t, from coverage 1 down: coverage = cases with score ≤ t / all cases, risk = failures among them / their
/// number; a final point at coverage 0 repeats the last risk (Geifman &amp; El-Yaniv 2017; Jaeger et al. 2023, fd-shifts). Tied scores are
/// kept or rejected together, so only these coverages are achievable by a threshold. Immutable and thread-safe.
/// </remarks>
public sealed class RiskCoverageCurve
{
    private readonly double[] coverages;
    private readonly double[] risks;

    internal RiskCoverageCurve(double[] coverages, double[] risks)
    {
        this.coverages = coverages;
        this.risks = risks;
        var generalized = new double[coverages.Length];
        for (var k = 0; k < generalized.Length; k++)
        {
            generalized[k] = coverages[k] > 0 ? risks[k] * coverages[k] : 0;
        }

        Coverages = coverages;
        Risks = risks;
        GeneralizedRisks = generalized;
    }

    /// <summary>Gets the coverages, descending from 1 to 0.</summary>
    public IReadOnlyList<double> Coverages { get; }

    /// <summary>Gets the selective risks (failure rates among the kept cases).</summary>
    public IReadOnlyList<double> Risks { get; }

    /// <summary>
    /// Gets the generalized risks (Traub et al. 2024): failures among the kept cases / all cases, the selective risk times the coverage, 0 at
    /// coverage 0. The area under (<see cref="Coverages"/>, <see cref="GeneralizedRisks"/>) is <see cref="FailureDetectionResult.Augrc"/>.
    /// </summary>
    public IReadOnlyList<double> GeneralizedRisks { get; }

    /// <summary>Gets the lowest selective risk a threshold achieves while keeping at least a fraction <paramref name="coverage"/> of the cases.</summary>
    /// <remarks>
    /// The minimum of <see cref="Risks"/> over the points with coverage ≥ <paramref name="coverage"/> (the coverage-0 point excluded), as
    /// fd-shifts' <c>get_working_point(target_cov=…)</c> on the selective risk (Traub et al. 2024). Since ties are kept together the coverage
    /// reached can exceed the one asked for. Always defined: coverage 1 (every case kept, risk = failure rate) qualifies.
    /// </remarks>
    /// <param name="coverage">The smallest acceptable fraction of cases kept, in [0, 1]; 0 allows any non-empty set.</param>
    /// <returns>The selective risk, in [0, 1].</returns>
    /// <exception cref="System.ArgumentOutOfRangeException"><paramref name="coverage"/> is NaN or outside [0, 1].</exception>
    public double RiskAtCoverage(double coverage)
    {
        Preconditions.InRange(coverage, nameof(coverage), 0, 1);
        var best = risks[0];
        for (var k = 1; k < coverages.Length && coverages[k] >= coverage && coverages[k] > 0; k++)
        {
            best = risks[k] < best ? risks[k] : best;
        }

        return best;
    }

    /// <summary>Gets the largest fraction of cases a threshold keeps while the selective risk among them is at most <paramref name="risk"/>.</summary>
    /// <remarks>
    /// The maximum of <see cref="Coverages"/> over the points with selective risk ≤ <paramref name="risk"/> and coverage &gt; 0, as fd-shifts'
    /// <c>get_working_point(target_risk=…)</c> on the selective risk (Traub et al. 2024).
    /// </remarks>
    /// <param name="risk">The largest acceptable selective risk, in [0, 1].</param>
    /// <returns>The coverage, in (0, 1]; <see langword="null"/> when no threshold keeps a non-empty set at that risk (even the most
    /// confident tied group fails more often), where the working point does not exist.</returns>
    /// <exception cref="System.ArgumentOutOfRangeException"><paramref name="risk"/> is NaN or outside [0, 1].</exception>
    public double? CoverageAtRisk(double risk)
    {
        Preconditions.InRange(risk, nameof(risk), 0, 1);
        for (var k = 0; k < coverages.Length && coverages[k] > 0; k++)
        {
            if (risks[k] <= risk)
            {
                return coverages[k];
            }
        }

        return null;
    }
}
