using System;
using System.Collections.Generic;

namespace Uqlib.Samples.BiradsShape.Labelling;

/// <summary>Balances two classes by down-sampling the majority, as the seed study did when the imbalance exceeded 2:3.</summary>
public static class ClassBalancer
{
    /// <summary>The smallest minority-to-majority ratio kept as it is (2:3).</summary>
    public const double DefaultTolerance = 2.0 / 3.0;

    /// <summary>Chooses the samples to keep: all of them when the minority is at least <paramref name="tolerance"/> times the
    /// majority or one class is absent, otherwise the whole minority and a seeded random subset of the majority of the same size.</summary>
    /// <param name="labels">Class indices, each 0 or 1.</param>
    /// <param name="seed">The seed of the random subset.</param>
    /// <param name="tolerance">The smallest minority-to-majority ratio left alone, in (0, 1].</param>
    /// <returns>The indices kept, ascending.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="labels"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A label is not 0 or 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is NaN or outside (0, 1].</exception>
    public static int[] DownSample(IReadOnlyList<int> labels, int seed, double tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (!(tolerance > 0 && tolerance <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, $"tolerance must be in (0, 1]; found {tolerance}.");
        }

        var byClass = new[] { new List<int>(), new List<int>() };
        for (var i = 0; i < labels.Count; i++)
        {
            var label = labels[i];
            if (label is not (0 or 1))
            {
                throw new ArgumentException($"labels must be 0 or 1; found {label} at index {i}.", nameof(labels));
            }

            byClass[label].Add(i);
        }

        var minority = byClass[0].Count <= byClass[1].Count ? 0 : 1;
        var majority = 1 - minority;
        var kept = new List<int>(labels.Count);
        if (byClass[minority].Count == 0 || byClass[minority].Count >= tolerance * byClass[majority].Count)
        {
            for (var i = 0; i < labels.Count; i++)
            {
                kept.Add(i);
            }

            return kept.ToArray();
        }

        var pool = byClass[majority].ToArray();
        new Random(SeedMixer.Mix(seed)).Shuffle(pool);
        kept.AddRange(byClass[minority]);
        kept.AddRange(pool.AsSpan(0, byClass[minority].Count).ToArray());
        kept.Sort();
        return kept.ToArray();
    }
}
