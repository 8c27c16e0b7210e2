namespace Uqlib.Evaluation;

/// <summary>How the evaluated cases fall into clusters: how many clusters, how many hold a failure, and cases per cluster.</summary>
/// <param name="Count">The number of clusters, at least 1.</param>
/// <param name="WithFailures">The number of clusters holding at least one failure.</param>
/// <param name="MinCases">The fewest cases in one cluster.</param>
/// <param name="MedianCases">The median number of cases per cluster (the mean of the two middle ones for an even count).</param>
/// <param name="MaxCases">The most cases in one cluster.</param>
public sealed record ClusterSummary(int Count, int WithFailures, int MinCases, double MedianCases, int MaxCases);
