using System.Collections.Generic;

namespace Uqlib.Evaluation;

/// <summary>A metric on the full data with its stratified (case or cluster) bootstrap interval.</summary>
public sealed class BootstrapResult
{
    internal BootstrapResult(double estimate, ConfidenceInterval ci, double standardError, double[] replicates)
    {
        Estimate = estimate;
        Ci = ci;
        StandardError = standardError;
        Replicates = replicates;
    }

    /// <summary>Gets the metric on the original cases.</summary>
    public double Estimate { get; }

    /// <summary>Gets the interval of the replicates (linear interpolation between order statistics, as NumPy's default quantile): the percentile interval, or the BCa interval when <see cref="BootstrapOptions.Interval"/> asked for it.</summary>
    public ConfidenceInterval Ci { get; }

    /// <summary>Gets the standard deviation of the replicates (ddof = 1).</summary>
    public double StandardError { get; }

    /// <summary>Gets the metric on each resample, in resample order.</summary>
    public IReadOnlyList<double> Replicates { get; }
}
