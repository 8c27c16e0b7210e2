namespace Uqlib;

/// <summary>How a model's raw output becomes probabilities.</summary>
public enum OutputKind
{
    /// <summary>Unnormalised class scores <c>(N, C[, …])</c>; probabilities are their softmax over dimension 1.</summary>
    MulticlassLogits,

    /// <summary>One logit per sample (or pixel), <c>(N)</c> or <c>(N, 1[, …])</c>; the positive-class probability is its sigmoid.</summary>
    BinaryLogit,

    /// <summary>Class probabilities <c>(N, C[, …])</c>, already in [0, 1] and summing to 1 over dimension 1.</summary>
    Probabilities,

    /// <summary>Real-valued predictions <c>(N)</c> or <c>(N, D)</c>; there are no class probabilities.</summary>
    Regression,
}
