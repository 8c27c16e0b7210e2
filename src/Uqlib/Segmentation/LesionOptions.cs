using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Segmentation;

/// <summary>How lesions are found, matched and scored by <see cref="Lesions.Analyze"/>.</summary>
public sealed record LesionOptions
{
    /// <summary>Gets which neighbours connect a lesion, or <see langword="null"/> for the fullest: <see cref="Segmentation.Connectivity.Eight"/> in 2-D, <see cref="Segmentation.Connectivity.TwentySix"/> in 3-D.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Connectivity? Connectivity { get; init; }

    /// <summary>Gets the Dice, in (0, 1], at or above which a predicted and a true lesion match.</summary>
    /// <value>The default value is 0.1: a lesion found but poorly delineated still counts as found; raise it to demand delineation.</value>
    public double MatchThreshold { get; init; } = 0.1;

    /// <summary>Gets the percentile, in [0, 100], for <see cref="LesionUncertainty.Percentile"/>.</summary>
    /// <value>The default value is <see cref="MapAggregation.DefaultPercentile"/> (95).</value>
    public double Percentile { get; init; } = MapAggregation.DefaultPercentile;

    /// <summary>Gets the boundary band's half-width in voxels, 1 to 64 (<see cref="MapAggregation.BoundaryBand"/>).</summary>
    /// <value>The default value is <see cref="MapAggregation.DefaultBandWidth"/> (1).</value>
    public int BandWidth { get; init; } = MapAggregation.DefaultBandWidth;

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Connectivity is { } c && !Enum.IsDefined(c))
        {
            problems.Add($"Connectivity must be a defined Connectivity; found {c}.");
        }

        if (!(MatchThreshold > 0 && MatchThreshold <= 1))
        {
            problems.Add(Invariant($"MatchThreshold must be in (0, 1]; found {MatchThreshold}."));
        }

        if (!(Percentile >= 0 && Percentile <= 100))
        {
            problems.Add(Invariant($"Percentile must be in [0, 100]; found {Percentile}."));
        }

        if (BandWidth is < 1 or > 64)
        {
            problems.Add(Invariant($"BandWidth must be between 1 and 64; found {BandWidth}."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
