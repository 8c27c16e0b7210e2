using System.Collections.Generic;

namespace Uqlib.Evaluation;

/// <summary>The precision–recall curve of failure detection, as scikit-learn 1.2's <c>precision_recall_curve</c> returns it.</summary>
/// <remarks>Thresholds are the distinct scores ascending; <see cref="Precision"/> and <see cref="Recall"/> have one more entry, the final point (recall 0, precision 1).</remarks>
public sealed class PrecisionRecallCurve
{
    internal PrecisionRecallCurve(double[] precision, double[] recall, double[] thresholds)
    {
        Precision = precision;
        Recall = recall;
        Thresholds = thresholds;
    }

    /// <summary>Gets the precisions (failures among flagged cases / flagged cases).</summary>
    public IReadOnlyList<double> Precision { get; }

    /// <summary>Gets the recalls (failures flagged / failures), descending to 0.</summary>
    public IReadOnlyList<double> Recall { get; }

    /// <summary>Gets the score thresholds, ascending.</summary>
    public IReadOnlyList<double> Thresholds { get; }
}
