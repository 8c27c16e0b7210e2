namespace Uqlib.Samples.BiradsShape.Labelling;

/// <summary>A slice's shape class, from its ellipse Dice.</summary>
public enum SliceShapeLabel
{
    /// <summary>Dice below the irregular threshold (0.8 by default): class 1, the positive class.</summary>
    Irregular,

    /// <summary>Dice between the two thresholds: set aside, neither trained on nor evaluated.</summary>
    Ambiguous,

    /// <summary>Dice at or above the round threshold (0.9 by default): class 0.</summary>
    Round,
}
