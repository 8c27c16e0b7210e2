namespace Uqlib.Evaluation;

/// <summary>How the p-values of several tests (each method against the best, in a method comparison) are adjusted for multiplicity.</summary>
public enum PValueAdjustment
{
    /// <summary>No adjustment: each p-value as its own test gives it.</summary>
    None,

    /// <summary>Holm's step-down adjustment (Holm 1979, "A simple sequentially rejective multiple test procedure"), controlling the family-wise error rate; as R's <c>p.adjust(method = "holm")</c>.</summary>
    Holm,
}
