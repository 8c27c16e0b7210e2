using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Evaluation;

/// <summary>Options of <see cref="Bootstrap"/>.</summary>
public sealed record BootstrapOptions
{
    /// <summary>Gets the number of bootstrap resamples, from 10 to 1,000,000.</summary>
    /// <value>The default value is 1,000.</value>
    public int Resamples { get; init; } = 1000;

    /// <summary>Gets the confidence level of the percentile interval, in (0, 1).</summary>
    /// <value>The default value is 0.95.</value>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Gets the seed of the resampling; the same seed gives the same interval whatever the parallelism.</summary>
    /// <value>The default value is 0.</value>
    public int Seed { get; init; }

    /// <summary>Gets the largest number of resamples computed at once, or −1 for one per processor.</summary>
    /// <value>The default value is −1.</value>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>Checks every option and reports all problems in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Resamples < 10 || Resamples > Preconditions.MaxResamples)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Resamples must be in [10, {Preconditions.MaxResamples}]; found {Resamples}."));
        }

        if (!(ConfidenceLevel > 0 && ConfidenceLevel < 1))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"ConfidenceLevel must be in (0, 1); found {ConfidenceLevel}."));
        }

        if (MaxDegreeOfParallelism == 0 || MaxDegreeOfParallelism < -1)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MaxDegreeOfParallelism must be -1 or at least 1; found {MaxDegreeOfParallelism}."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid BootstrapOptions: " + string.Join(" ", problems), "options");
        }
    }
}
