namespace Uqlib.Imaging;

/// <summary>How loaded pixel values are scaled.</summary>
public enum ImageNormalization
{
    /// <summary>Values in [0, 1]: the stored value divided by the largest value of its bit depth (255 for 8 bits, 65535 for 16 bits).</summary>
    UnitRange = 0,

    /// <summary>Each image scaled on its own so that its smallest value becomes 0 and its largest 1 (a constant image becomes all 0).</summary>
    MinMax = 1,

    /// <summary>Values in [0, 1] as for <see cref="UnitRange"/>, then per channel <c>(x − mean) / std</c> with the given mean and standard deviation.</summary>
    MeanStd = 2,
}
