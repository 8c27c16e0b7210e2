namespace Uqlib.Calibration;

/// <summary>One bin of a <see cref="ReliabilityDiagram"/>: the samples whose confidence falls in it, their mean confidence and their accuracy.</summary>
/// <param name="Lower">The bin's lower edge: b/B for equal-width bins, the smallest confidence in the bin for equal-mass bins.</param>
/// <param name="Upper">The bin's upper edge: (b + 1)/B for equal-width bins, the largest confidence in the bin for equal-mass bins.</param>
/// <param name="Count">The number of samples in the bin; 0 for an empty equal-width bin.</param>
/// <param name="Confidence">The mean confidence of the bin's samples; 0 for an empty bin.</param>
/// <param name="Accuracy">The fraction of the bin's samples predicted correctly; 0 for an empty bin.</param>
public sealed record ReliabilityBin(double Lower, double Upper, long Count, double Confidence, double Accuracy)
{
    /// <summary>Gets the calibration gap, confidence minus accuracy: positive where the model is over-confident, 0 for an empty bin.</summary>
    public double Gap => Confidence - Accuracy;
}
