namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>How many slices of each trained class a set holds (the seed's per-fold table).</summary>
/// <param name="Round">Round slices.</param>
/// <param name="Irregular">Irregular slices.</param>
public sealed record ClassCounts(int Round, int Irregular);
