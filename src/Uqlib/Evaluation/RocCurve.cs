using System.Collections.Generic;

namespace Uqlib.Evaluation;

/// <summary>The points of a ROC curve, as scikit-learn's <c>roc_curve</c> with <c>drop_intermediate=True</c> returns them.</summary>
/// <remarks>
/// The first point is (0, 0) at threshold "highest score + 1" (scikit-learn 1.2); the following points are the distinct scores in
/// descending order, minus the intermediate points of straight segments.
/// </remarks>
public sealed class RocCurve
{
    internal RocCurve(double[] falsePositiveRates, double[] truePositiveRates, double[] thresholds)
    {
        FalsePositiveRates = falsePositiveRates;
        TruePositiveRates = truePositiveRates;
        Thresholds = thresholds;
    }

    /// <summary>Gets the false-positive rates (successes flagged / successes), ascending from 0 to 1.</summary>
    public IReadOnlyList<double> FalsePositiveRates { get; }

    /// <summary>Gets the true-positive rates (failures flagged / failures), ascending from 0 to 1.</summary>
    public IReadOnlyList<double> TruePositiveRates { get; }

    /// <summary>Gets the score thresholds, descending: a case is flagged when its score is at or above the threshold.</summary>
    public IReadOnlyList<double> Thresholds { get; }
}
