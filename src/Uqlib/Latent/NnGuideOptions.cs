using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Latent;

/// <summary>Options of NNGuide, nearest-neighbour guidance (Park et al. 2023).</summary>
public sealed record NnGuideOptions
{
    /// <summary>Gets the default options.</summary>
    public static NnGuideOptions Default { get; } = new();

    /// <summary>Gets the number k of nearest bank features whose confidence-scaled similarities are averaged, from 1 to 100,000 and at most the bank size.</summary>
    /// <value>The default value is 100, the paper's setting for ImageNet (also OpenOOD's).</value>
    public int K { get; init; } = 100;

    /// <summary>Gets the number of training features kept in the bank, drawn uniformly without replacement with <see cref="Seed"/> (as <see cref="KnnOptions.BankSize"/> does), or <see langword="null"/> to keep all.</summary>
    /// <value>The default value is <see langword="null"/> (every training feature). The paper keeps 1 % of ImageNet's training set (α = 0.01); set it for large training sets.</value>
    public int? BankSize { get; init; }

    /// <summary>Gets the seed of the bank's sub-sampling.</summary>
    /// <value>The default value is 0.</value>
    public long Seed { get; init; }

    /// <summary>Gets the largest number of similarity values held at once while scoring (queries × bank features per chunk), four bytes each; from 1 to 2³¹. A chunk still has at least 256 queries and k bank features.</summary>
    /// <value>The default value is 16,777,216 (64 MiB of float32).</value>
    public long ChunkElements { get; init; } = 1L << 24;

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
            throw new ArgumentException("Invalid NnGuideOptions: " + string.Join("; ", problems) + ".", "options");
        }
    }

    /// <summary>The bank-building part of the options, in the form the kNN bank builder takes.</summary>
    internal KnnOptions BankOptions() => new() { K = K, BankSize = BankSize, Seed = Seed, ChunkElements = ChunkElements };
}
