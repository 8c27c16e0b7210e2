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

    /// <summary>
    /// A Gaussian head: a mean and a log-variance per target, <c>(N, 2)</c> for one target (column 0 the mean, column 1 the
    /// log-variance) or <c>(N, 2, D)</c> for D targets (channel 0 the means, channel 1 the log-variances); there are no class
    /// probabilities. <see cref="Regression.GaussianPrediction.FromOutput"/> splits it into a mean and a variance.
    /// </summary>
    GaussianRegression,
}
