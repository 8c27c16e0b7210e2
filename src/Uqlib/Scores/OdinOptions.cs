using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Scores;

/// <summary>Options of ODIN, temperature scaling with input perturbation (Liang, Li &amp; Srikant 2018).</summary>
public sealed record OdinOptions
{
    /// <summary>Gets the default options (the paper's).</summary>
    public static OdinOptions Default { get; } = new();

    /// <summary>Gets the softmax temperature T, finite and in (0, 10⁶].</summary>
    /// <value>The default value is 1000, the paper's choice for every network and data set.</value>
    public double Temperature { get; init; } = 1000;

    /// <summary>
    /// Gets the perturbation magnitude ε, finite and in [0, 1], in the units of the inputs as the model receives them. The paper tunes ε
    /// per network (its released code uses 0.0014) on images in [0, 1]; for normalised inputs the authors divide the step by the
    /// normalisation's standard deviation, so pass ε/σ here to reproduce that.
    /// </summary>
    /// <value>The default value is 0.0014, the authors' code's (and OpenOOD's) default.</value>
    public double Noise { get; init; } = 0.0014;

    /// <summary>Checks every option, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!(Temperature > 0 && Temperature <= 1e6))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Temperature must be in (0, 1e6]; found {Temperature}"));
        }

        if (!(Noise is >= 0 and <= 1))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Noise must be in [0, 1]; found {Noise}"));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid OdinOptions: {string.Join("; ", problems)}.", "options");
        }
    }
}
