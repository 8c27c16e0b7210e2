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

    /// <summary>Gets which interval the replicates give: the percentile interval, or the bias-corrected and accelerated (BCa) one.</summary>
    /// <value>The default value is <see cref="BootstrapInterval.Percentile"/>.</value>
    public BootstrapInterval Interval { get; init; } = BootstrapInterval.Percentile;

    /// <summary>Gets the sensitivity the review threshold of <see cref="FailureMetric.ReferralRate"/> must reach, in (0, 1].</summary>
    /// <value>The default value is 0.9, as <see cref="RocOptions.TargetSensitivity"/>.</value>
    public double TargetSensitivity { get; init; } = 0.9;

    /// <summary>Gets the number of equal-width bins of <see cref="CalibrationMetric.Ece"/>, in [1, 10,000].</summary>
    /// <value>The default value is 15 (<see cref="Calibration.CalibrationMetrics.DefaultBins"/>).</value>
    public int Bins { get; init; } = Calibration.CalibrationMetrics.DefaultBins;

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

        if (!Enum.IsDefined(Interval))
        {
            problems.Add($"Interval must be a defined BootstrapInterval; found {Interval}.");
        }

        if (!(TargetSensitivity > 0 && TargetSensitivity <= 1))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"TargetSensitivity must be in (0, 1]; found {TargetSensitivity}."));
        }

        if (Bins < 1 || Bins > 10_000)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Bins must be in [1, 10000]; found {Bins}."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid BootstrapOptions: " + string.Join(" ", problems), "options");
        }
    }
}
