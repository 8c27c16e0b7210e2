using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Latent;

/// <summary>Options of the k-nearest-neighbour detector (Sun et al. 2022).</summary>
public sealed record KnnOptions
{
    /// <summary>Gets the default options.</summary>
    public static KnnOptions Default { get; } = new();

    /// <summary>Gets the rank k of the neighbour whose distance is the score, from 1 to 100,000 and at most the bank size.</summary>
    /// <value>The default value is 50, as in Sun et al. 2022 for CIFAR-10.</value>
    public int K { get; init; } = 50;

    /// <summary>Gets the number of training features kept in the bank, drawn uniformly without replacement with <see cref="Seed"/>, or <see langword="null"/> to keep all.</summary>
    /// <value>The default value is <see langword="null"/> (keep every training feature).</value>
    public int? BankSize { get; init; }

    /// <summary>Gets the seed of the bank's sub-sampling.</summary>
    /// <value>The default value is 0.</value>
    public long Seed { get; init; }

    /// <summary>Gets the largest number of similarity values held at once while scoring (queries × bank features per chunk), which bounds the scoring memory at four bytes each; from 1 to 2³¹.</summary>
    /// <remarks>
    /// A chunk has at least 256 queries and c = k + max(8, k/4) bank features, so at most max(<see cref="ChunkElements"/>, 256 × c) float32
    /// similarities are held; each chunk's are freed before the next, and only the running top c of each query (similarity and bank row) is
    /// kept. On the CPU the product runs in tiles of at most 1,024 queries × 1,024 bank rows (4 MiB, far below the default bound), so
    /// that the selection reads each tile from cache. The float64 refinement of the candidates holds at most max(<see cref="ChunkElements"/> / 2, c × F) float64 numbers (the same
    /// bytes; usually one bank row per query). Scoring N queries also holds the normalised float64 and float32 copies of one query chunk and the N float64 scores.
    /// </remarks>
    /// <value>The default value is 16,777,216 (64 MiB of float32).</value>
    public long ChunkElements { get; init; } = 1L << 24;

    /// <summary>Gets a value indicating whether feature maps <c>(N, C, H, W[, D])</c> are averaged over space to <c>(N, C)</c>; otherwise they are flattened.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool GlobalAveragePooling { get; init; } = true;

    /// <summary>Checks every option, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are out of range; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (K < 1 || K > Preconditions.MaxCount)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"K must be in [1, {Preconditions.MaxCount}]; found {K}"));
        }

        if (BankSize is { } size && size < K)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"BankSize must be at least K ({K}); found {size}"));
        }

        if (ChunkElements < 1 || ChunkElements > Preconditions.MaxChunkElements)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"ChunkElements must be in [1, {Preconditions.MaxChunkElements}]; found {ChunkElements}"));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid KnnOptions: " + string.Join("; ", problems) + ".", "options");
        }
    }
}
