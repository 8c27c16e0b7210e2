using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Ensembles;

/// <summary>Options of the sub-ensemble measures (<see cref="SubEnsembles"/>): how many members each subset holds, how many subsets, and the seed of their draw.</summary>
public sealed record SubEnsembleOptions
{
    /// <summary>Gets the default options.</summary>
    public static SubEnsembleOptions Default { get; } = new();

    /// <summary>Gets the number m of members in each subset, from 1 to the ensemble size M, or <see langword="null"/> for ⌈M / 2⌉.</summary>
    /// <value>The default value is <see langword="null"/> (half the members, rounded up).</value>
    public int? SubsetSize { get; init; }

    /// <summary>Gets the number S of subsets drawn, from 2 to 100,000. When the ensemble has at most S distinct subsets of size m, every one of them is used once instead.</summary>
    /// <value>The default value is 100.</value>
    public int Subsets { get; init; } = 100;

    /// <summary>Gets the seed of the subsets' draw.</summary>
    /// <value>The default value is 0.</value>
    public int Seed { get; init; }

    /// <summary>Checks every option, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are out of range; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (SubsetSize is { } size && (size < 1 || size > Preconditions.MaxCount))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"SubsetSize must be in [1, {Preconditions.MaxCount}]; found {size}"));
        }

        if (Subsets < 2 || Subsets > Preconditions.MaxCount)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Subsets must be in [2, {Preconditions.MaxCount}]; found {Subsets}"));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid SubEnsembleOptions: " + string.Join("; ", problems) + ".", "options");
        }
    }

    /// <summary>The subset size for an ensemble of <paramref name="members"/>, checked against it.</summary>
    internal int SizeFor(int members)
    {
        var size = SubsetSize ?? (members + 1) / 2;
        if (size > members)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"SubsetSize must be at most the ensemble's {members} members; found {size}."), "options");
        }

        return size;
    }
}
