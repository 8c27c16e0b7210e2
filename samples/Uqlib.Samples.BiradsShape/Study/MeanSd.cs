using System;
using System.Collections.Generic;

namespace Uqlib.Samples.BiradsShape.Study;

/// <summary>A mean and a sample standard deviation, as the seed reports fold results ("0.89 (0.03)").</summary>
/// <param name="Mean">The mean.</param>
/// <param name="Sd">The sample standard deviation (n − 1), 0 for a single value.</param>
public sealed record MeanSd(double Mean, double Sd)
{
    /// <summary>Summarises values.</summary>
    /// <param name="values">The values, at least one.</param>
    /// <returns>Their mean and sample standard deviation.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    public static MeanSd Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("values is empty: there is nothing to summarise.", nameof(values));
        }

        double sum = 0;
        foreach (var value in values)
        {
            sum += value;
        }

        var mean = sum / values.Count;
        double squares = 0;
        foreach (var value in values)
        {
            squares += (value - mean) * (value - mean);
        }

        return new MeanSd(mean, values.Count == 1 ? 0 : Math.Sqrt(squares / (values.Count - 1)));
    }
}
