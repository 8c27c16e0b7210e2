namespace Uqlib.Evaluation;

/// <summary>A two-sided confidence interval for a metric.</summary>
/// <param name="Lower">The lower bound.</param>
/// <param name="Upper">The upper bound.</param>
/// <param name="Level">The confidence level, in (0, 1), e.g. 0.95.</param>
public sealed record ConfidenceInterval(double Lower, double Upper, double Level);
