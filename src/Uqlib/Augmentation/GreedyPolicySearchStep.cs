using System.Globalization;

namespace Uqlib.Augmentation;

/// <summary>One step of a greedy policy search: the candidate added and the policy's metrics on the search samples after adding it.</summary>
/// <remarks>Immutable. Lyzhov et al. 2020 (UAI), "Greedy Policy Search".</remarks>
public sealed record GreedyPolicySearchStep
{
    /// <summary>Gets the step number, from 1.</summary>
    public required int Step { get; init; }

    /// <summary>Gets the index (into the cache's first dimension) of the candidate added at this step.</summary>
    public required int Candidate { get; init; }

    /// <summary>Gets the temperature fitted on the search samples for the policy after this step.</summary>
    public required double Temperature { get; init; }

    /// <summary>Gets the calibrated log-likelihood (mean log-probability of the labels after temperature scaling) of the policy.</summary>
    public required double CalibratedLogLikelihood { get; init; }

    /// <summary>Gets the mean log-probability of the labels under the policy's mixture, without temperature scaling.</summary>
    public required double LogLikelihood { get; init; }

    /// <summary>Gets the accuracy of the policy's mixture.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Gets the top-label expected calibration error (15 equal-width bins, Guo et al. 2017) of the temperature-scaled mixture.</summary>
    public required double Ece { get; init; }

    /// <summary>
    /// Gets the calibrated log-likelihood on the held-out half (temperature fitted on that half, the authors' cLL), or
    /// <see langword="null"/> when <see cref="GreedyPolicySearchOptions.HeldOutCheck"/> is off.
    /// </summary>
    public double? HeldOutCalibratedLogLikelihood { get; init; }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"step {Step}: +{Candidate}, cLL {CalibratedLogLikelihood:F6}, T {Temperature:F4}, acc {Accuracy:F4}, ECE {Ece:F4}");
        return HeldOutCalibratedLogLikelihood is { } heldOut
            ? text + string.Create(CultureInfo.InvariantCulture, $", held-out cLL {heldOut:F6}")
            : text;
    }
}
