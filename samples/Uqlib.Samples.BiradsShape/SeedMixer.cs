namespace Uqlib.Samples.BiradsShape;

/// <summary>Spreads user seeds before they seed <see cref="System.Random"/>, whose seeded generator gives correlated first draws for
/// neighbouring seeds (0, 1, 2, …): the SplitMix64 finaliser (Steele, Lea &amp; Flood 2014) of the seed.</summary>
internal static class SeedMixer
{
    /// <summary>Returns a well-spread, non-negative seed derived from <paramref name="seed"/>; the same seed always gives the same result.</summary>
    internal static int Mix(int seed)
    {
        unchecked
        {
            var z = (ulong)(uint)seed + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z & 0x7FFFFFFF);
        }
    }
}
