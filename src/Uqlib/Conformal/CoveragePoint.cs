namespace Uqlib.Conformal;

/// <summary>The empirical coverage and mean set size of prediction sets at one level α, a point of a coverage curve.</summary>
/// <param name="Alpha">The miscoverage level α; the nominal coverage is 1 − α.</param>
/// <param name="Coverage">The share of cases whose true class is in their set, in [0, 1].</param>
/// <param name="MeanSize">The mean set size.</param>
public sealed record CoveragePoint(double Alpha, double Coverage, double MeanSize);
