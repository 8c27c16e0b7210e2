using System;
using System.Globalization;

namespace Uqlib.Latent;

/// <summary>Options of ReAct, rectified activations (Sun, Guo &amp; Li 2021).</summary>
public sealed record ReactOptions
{
    /// <summary>Gets the default options (the paper's).</summary>
    public static ReactOptions Default { get; } = new();

    /// <summary>Gets the percentile p of the training activations (all units of all samples pooled) at which activations are clipped, in [0, 100].</summary>
    /// <value>The default value is 90, the paper's choice (its Section 4 and ablation, Fig. 4).</value>
    public double Percentile { get; init; } = 90;

    /// <summary>Checks every option, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (!(Percentile is >= 0 and <= 100))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Invalid ReactOptions: Percentile must be in [0, 100]; found {Percentile}."), "options");
        }
    }
}
