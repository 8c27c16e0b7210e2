namespace Uqlib.Conformal;

/// <summary>The coverage of the cases of one stratum: one true class (class-conditional coverage) or one set size (size-stratified coverage).</summary>
/// <param name="Value">The stratum: a class index, or a set size.</param>
/// <param name="Count">The number of cases in the stratum, at least 1.</param>
/// <param name="Coverage">The share of the stratum's cases whose true class is in their set, in [0, 1].</param>
public sealed record CoverageStratum(long Value, long Count, double Coverage);
