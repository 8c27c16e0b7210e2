using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Conformal;

/// <summary>
/// One image's loss as a non-decreasing, left-continuous step function of the threshold t: L(t) = <see cref="AtLowest"/> + the sum of the
/// increments whose jump point is strictly below t (a pixel whose value equals t is still in the mask p ≥ t).
/// </summary>
/// <remarks>Immutable; the arrays are copied.</remarks>
public sealed class LossSteps
{
    private readonly double[] jumps;
    private readonly double[] increments;

    /// <summary>Initializes a new instance of the <see cref="LossSteps"/> class.</summary>
    /// <param name="atLowest">The loss at the lowest thresholds (below every jump), finite and ≥ 0.</param>
    /// <param name="jumps">The jump points, finite, in any order (repeats allowed).</param>
    /// <param name="increments">The increase of the loss at each jump point, finite and ≥ 0, one per jump.</param>
    /// <exception cref="ArgumentException">The lengths differ, or a value is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="atLowest"/> or an increment is negative.</exception>
    public LossSteps(double atLowest, ReadOnlySpan<double> jumps, ReadOnlySpan<double> increments)
    {
        if (!double.IsFinite(atLowest) || atLowest < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(atLowest), atLowest,
                string.Create(CultureInfo.InvariantCulture, $"atLowest must be a finite loss ≥ 0; found {atLowest}."));
        }

        if (jumps.Length != increments.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"increments has {increments.Length} values but jumps has {jumps.Length}; they must match."),
                nameof(increments));
        }

        Preconditions.Finite(jumps, nameof(jumps));
        Preconditions.Finite(increments, nameof(increments));
        var total = atLowest;
        for (var i = 0; i < increments.Length; i++)
        {
            if (increments[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(increments), increments[i],
                    string.Create(CultureInfo.InvariantCulture, $"increments must be ≥ 0 (the loss must not decrease as the threshold rises); found {increments[i]} at index {i}."));
            }

            total += increments[i];
        }

        AtLowest = atLowest;
        AtHighest = total;
        this.jumps = jumps.ToArray();
        this.increments = increments.ToArray();
    }

    /// <summary>Gets the loss below every jump point.</summary>
    public double AtLowest { get; }

    /// <summary>Gets the loss above every jump point.</summary>
    public double AtHighest { get; }

    /// <summary>Gets the jump points.</summary>
    public IReadOnlyList<double> Jumps => jumps;

    /// <summary>Gets the increase at each jump point.</summary>
    public IReadOnlyList<double> Increments => increments;

    /// <summary>The loss at threshold t.</summary>
    /// <param name="threshold">The threshold t; the mask is every pixel with value ≥ t. May be ±∞.</param>
    /// <returns>L(t) = <see cref="AtLowest"/> + Σ increments with jump point &lt; t.</returns>
    /// <exception cref="ArgumentException"><paramref name="threshold"/> is NaN.</exception>
    public double Evaluate(double threshold)
    {
        if (double.IsNaN(threshold))
        {
            throw new ArgumentException("threshold must be a number; found NaN.", nameof(threshold));
        }

        var loss = AtLowest;
        for (var i = 0; i < jumps.Length; i++)
        {
            if (jumps[i] < threshold)
            {
                loss += increments[i];
            }
        }

        return loss;
    }
}
