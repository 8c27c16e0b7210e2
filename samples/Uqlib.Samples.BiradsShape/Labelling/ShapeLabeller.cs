using System;
using System.Collections.Generic;

namespace Uqlib.Samples.BiradsShape.Labelling;

/// <summary>Labels slices from their ellipse Dice, as the seed study did: irregular &lt; 0.8 ≤ ambiguous &lt; 0.9 ≤ round.</summary>
public sealed record ShapeLabeller
{
    /// <summary>The training class index of round slices (the seed's hard label 0).</summary>
    public const int RoundClass = 0;

    /// <summary>The training class index of irregular slices (the seed's hard label 1, the positive class).</summary>
    public const int IrregularClass = 1;

    /// <summary>Gets the Dice below which a slice is irregular.</summary>
    /// <value>The default value is 0.8; must be in (0, <see cref="RoundFrom"/>].</value>
    public double IrregularBelow { get; init; } = 0.8;

    /// <summary>Gets the Dice from which a slice is round.</summary>
    /// <value>The default value is 0.9; must be in [<see cref="IrregularBelow"/>, 1].</value>
    public double RoundFrom { get; init; } = 0.9;

    /// <summary>Checks the thresholds and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">A threshold is out of range or they are out of order.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!(IrregularBelow > 0 && IrregularBelow <= 1))
        {
            problems.Add($"IrregularBelow must be in (0, 1]; found {IrregularBelow}.");
        }

        if (!(RoundFrom > 0 && RoundFrom <= 1))
        {
            problems.Add($"RoundFrom must be in (0, 1]; found {RoundFrom}.");
        }

        if (IrregularBelow > RoundFrom)
        {
            problems.Add($"IrregularBelow ({IrregularBelow}) must not exceed RoundFrom ({RoundFrom}).");
        }

        if (problems.Count != 0)
        {
            throw new ArgumentException("Invalid ShapeLabeller: " + string.Join(" ", problems));
        }
    }

    /// <summary>Labels one slice.</summary>
    /// <param name="dice">The slice's ellipse Dice, in [0, 1].</param>
    /// <returns>The slice's class.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dice"/> is NaN or outside [0, 1].</exception>
    public SliceShapeLabel Label(double dice)
    {
        if (!(dice >= 0 && dice <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dice), dice, $"dice must be in [0, 1]; found {dice}.");
        }

        return dice < IrregularBelow ? SliceShapeLabel.Irregular : dice < RoundFrom ? SliceShapeLabel.Ambiguous : SliceShapeLabel.Round;
    }

    /// <summary>Labels every slice.</summary>
    /// <param name="dice">The slices' ellipse Dice values, each in [0, 1].</param>
    /// <returns>One label per slice.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dice"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is NaN or outside [0, 1].</exception>
    public SliceShapeLabel[] LabelAll(IReadOnlyList<double> dice)
    {
        ArgumentNullException.ThrowIfNull(dice);
        Validate();
        var labels = new SliceShapeLabel[dice.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = Label(dice[i]);
        }

        return labels;
    }
}
