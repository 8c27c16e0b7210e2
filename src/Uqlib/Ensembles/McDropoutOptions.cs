using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Ensembles;

/// <summary>Options of MC dropout (Gal &amp; Ghahramani 2016).</summary>
public sealed record McDropoutOptions
{
    /// <summary>Gets the default options.</summary>
    public static McDropoutOptions Default { get; } = new();

    /// <summary>Gets the number K of stochastic forward passes, from 2 to 10,000.</summary>
    /// <value>The default value is 20.</value>
    public int Passes { get; init; } = 20;

    /// <summary>Gets the seed of the dropout masks: the same seed gives the same estimate of the same inputs on the same machine.</summary>
    /// <value>The default value is 0.</value>
    public long Seed { get; init; }

    /// <summary>Gets the measure of the passes' disagreement to report (for a regression model, <see cref="EnsembleScore.Variance"/> or <see cref="EnsembleScore.TotalVariance"/>).</summary>
    /// <value>The default value is <see cref="EnsembleScore.MutualInformation"/> (BALD, Houlsby et al. 2011, as Gal, Islam &amp; Ghahramani 2017 use it).</value>
    public EnsembleScore Score { get; init; } = EnsembleScore.MutualInformation;

    /// <summary>Checks every option, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Passes is < 2 or > 10_000)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Passes must be in [2, 10000]; found {Passes}"));
        }

        if (!Enum.IsDefined(Score))
        {
            problems.Add($"Score must be a defined EnsembleScore; found {Score}");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"Invalid McDropoutOptions: {string.Join("; ", problems)}.", "options");
        }
    }
}
