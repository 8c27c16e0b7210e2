using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Latent;

/// <summary>Options of <see cref="FeatureMapDetector"/>: the bound on the kNN bank and the chunk of feature-map locations scored at once.</summary>
public sealed record FeatureMapOptions
{
    /// <summary>The largest <see cref="MaxBankLocations"/> accepted: 2²⁴ locations.</summary>
    public const int MaxBank = 1 << 24;

    /// <summary>Gets the default options.</summary>
    public static FeatureMapOptions Default { get; } = new();

    /// <summary>
    /// Gets the most training feature-map locations kept in the kNN bank, from 1 to 2²⁴: the training maps give N × h × w (× d) location
    /// features, far more than a bank needs, so a uniform sample without replacement of at most this many is kept (seeded by
    /// <see cref="KnnOptions.Seed"/>; a smaller <see cref="KnnOptions.BankSize"/> wins). Scoring cost grows linearly with it.
    /// </summary>
    /// <value>The default value is 65,536 (2¹⁶; 16 MiB of float32 at F = 64).</value>
    public int MaxBankLocations { get; init; } = 1 << 16;

    /// <summary>Gets the number of feature-map locations scored at once, from 1 to 2³¹, which bounds the temporary memory of scoring (see <see cref="FeatureMapDetector"/>).</summary>
    /// <value>The default value is 65,536.</value>
    public long ChunkLocations { get; init; } = 1L << 16;

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are out of range; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (MaxBankLocations < 1 || MaxBankLocations > MaxBank)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MaxBankLocations must be in [1, {MaxBank}]; found {MaxBankLocations}."));
        }

        if (ChunkLocations < 1 || ChunkLocations > Preconditions.MaxChunkElements)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"ChunkLocations must be in [1, {Preconditions.MaxChunkElements}]; found {ChunkLocations}."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid FeatureMapOptions: " + string.Join(" ", problems), "options");
        }
    }
}
