namespace Uqlib.Conformal;

/// <summary>The coverage of prediction sets seen per cluster (per patient): what a new patient can expect.</summary>
/// <param name="Clusters">The number of clusters, at least 1.</param>
/// <param name="MeanCoverage">The mean over clusters of each cluster's share of covered cases, in [0, 1] (each patient weighs the same).</param>
/// <param name="AllCoveredShare">The share of clusters whose cases are all covered, in [0, 1].</param>
public sealed record ClusterCoverage(long Clusters, double MeanCoverage, double AllCoveredShare);
