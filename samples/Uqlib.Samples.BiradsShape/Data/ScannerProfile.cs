using System;
using System.Collections.Generic;

namespace Uqlib.Samples.BiradsShape.Data;

/// <summary>How a synthetic "scanner" renders a tumour: the knobs that a domain shift turns.</summary>
public sealed record ScannerProfile
{
    /// <summary>Gets the profile of the centre that supplies the training patients.</summary>
    public static ScannerProfile Internal { get; } = new();

    /// <summary>Gets the profile of the other centres that supply the external test patients: weaker enhancement, more noise, coarser resolution and a stronger bias field.</summary>
    public static ScannerProfile External { get; } = new()
    {
        TumourContrast = 0.6,
        NoiseLevel = 0.12,
        ResolutionFactor = 2,
        BiasFieldAmplitude = 0.35,
    };

    /// <summary>Gets how much brighter the enhancing tumour is than the parenchyma, in units of the parenchyma's mean intensity.</summary>
    /// <value>The default value is 1.0; must be in (0, 10].</value>
    public double TumourContrast { get; init; } = 1.0;

    /// <summary>Gets the standard deviation of each of the two Gaussian channels of the Rician noise, relative to the parenchyma's mean intensity.</summary>
    /// <value>The default value is 0.06; must be in [0, 1].</value>
    public double NoiseLevel { get; init; } = 0.06;

    /// <summary>Gets the factor by which the acquisition is coarser than the voxel grid (1 = native; 2 = every 2×2×2 block averaged, then upsampled).</summary>
    /// <value>The default value is 1; must be in [1, 4].</value>
    public int ResolutionFactor { get; init; } = 1;

    /// <summary>Gets the amplitude of the smooth multiplicative bias field (0 = none; 0.2 = intensities vary by about ±20 % across the volume).</summary>
    /// <value>The default value is 0.1; must be in [0, 0.9].</value>
    public double BiasFieldAmplitude { get; init; } = 0.1;

    /// <summary>Checks every value and reports all problems in one exception.</summary>
    /// <exception cref="ArgumentException">One or more values are out of range; the message lists each.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!(TumourContrast > 0 && TumourContrast <= 10))
        {
            problems.Add($"TumourContrast must be in (0, 10]; found {TumourContrast}.");
        }

        if (!(NoiseLevel >= 0 && NoiseLevel <= 1))
        {
            problems.Add($"NoiseLevel must be in [0, 1]; found {NoiseLevel}.");
        }

        if (ResolutionFactor is < 1 or > 4)
        {
            problems.Add($"ResolutionFactor must be in [1, 4]; found {ResolutionFactor}.");
        }

        if (!(BiasFieldAmplitude >= 0 && BiasFieldAmplitude <= 0.9))
        {
            problems.Add($"BiasFieldAmplitude must be in [0, 0.9]; found {BiasFieldAmplitude}.");
        }

        if (problems.Count != 0)
        {
            throw new ArgumentException("Invalid ScannerProfile: " + string.Join(" ", problems));
        }
    }
}
