using System;
using System.Collections.Generic;
using System.Globalization;
using Uqlib.Calibration;

namespace Uqlib.Segmentation;

/// <summary>Options of <see cref="PixelCalibration.FitTemperature"/>: how many pixels the fit may use and how they are drawn.</summary>
public sealed record PixelCalibrationOptions
{
    /// <summary>Gets the largest number of pixels (voxels) the fit uses; when more are eligible, this many are drawn uniformly without replacement, so memory stays bounded whatever the volume. From 1 to 2²⁸ (268,435,456).</summary>
    /// <value>The default value is 1 000 000 (about 1% standard error on the temperature for typical segmentation logits).</value>
    public int MaxPixels { get; init; } = 1_000_000;

    /// <summary>Gets the seed of the sub-sampling; the same seed draws the same pixels.</summary>
    /// <value>The default value is 0.</value>
    public int Seed { get; init; }

    /// <summary>Gets the bounds of the temperature.</summary>
    /// <value>The default value is <c>new TemperatureScalingOptions()</c> (T in [0.01, 100]).</value>
    public TemperatureScalingOptions Temperature { get; init; } = new();

    /// <summary>Checks the options, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException"><see cref="MaxPixels"/> is outside [1, 2²⁸], or <see cref="Temperature"/> is <see langword="null"/> or invalid.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (MaxPixels < 1 || MaxPixels > 1 << 28)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MaxPixels must be in [1, {1 << 28}]; found {MaxPixels}."));
        }

        if (Temperature is null)
        {
            problems.Add("Temperature must not be null.");
        }
        else
        {
            try
            {
                Temperature.Validate();
            }
            catch (ArgumentException e)
            {
                problems.Add("Temperature: " + e.Message);
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), "options");
        }
    }
}
