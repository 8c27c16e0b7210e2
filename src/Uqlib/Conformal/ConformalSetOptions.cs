using System;
using System.Collections.Generic;
using System.Globalization;

namespace Uqlib.Conformal;

/// <summary>Options of split conformal classification sets (<see cref="ConformalClassifier"/>).</summary>
public sealed record ConformalSetOptions
{
    /// <summary>Gets the default options: LAC scores, not randomised, marginal (not class-conditional), never-empty sets.</summary>
    public static ConformalSetOptions Default { get; } = new();

    /// <summary>Gets the non-conformity score.</summary>
    /// <value>The default value is <see cref="SetScore.Lac"/> (the smallest sets on average, Sadinle et al. 2019).</value>
    public SetScore Score { get; init; } = SetScore.Lac;

    /// <summary>
    /// Gets a value indicating whether the score uses a uniform draw u per case (see <see cref="SetScore"/>), which removes ties and so
    /// makes the coverage exactly 1 − α up to 1/(n + 1) even for quantised probabilities.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Randomized { get; init; }

    /// <summary>Gets the RAPS penalty λ per class beyond rank <see cref="KReg"/>, finite and ≥ 0; used by <see cref="SetScore.Raps"/> only.</summary>
    /// <value>The default value is 0.01, one of the values of Angelopoulos et al. 2021's ImageNet experiments.</value>
    public double Lambda { get; init; } = 0.01;

    /// <summary>Gets the RAPS rank k_reg from which classes are penalised, ≥ 0; used by <see cref="SetScore.Raps"/> only.</summary>
    /// <value>The default value is 5, as in Angelopoulos et al. 2021's ImageNet experiments.</value>
    public int KReg { get; init; } = 5;

    /// <summary>
    /// Gets a value indicating whether each class gets its own threshold from the calibration cases of that class (Mondrian, or
    /// class-conditional, conformal prediction; Vovk et al. 2005; Sadinle et al. 2019): the true class is then covered with probability
    /// at least 1 − α within every class, not only on average.
    /// </summary>
    /// <value>The default value is <see langword="false"/> (one marginal threshold).</value>
    public bool ClassConditional { get; init; }

    /// <summary>
    /// Gets a value indicating whether a set may be empty; when <see langword="false"/>, a set that would be empty holds the most probable
    /// class instead (as Angelopoulos et al. 2021's reference code with <c>allow_zero_sets=False</c>). Adding a class only raises
    /// coverage, so the 1 − α guarantee still holds, but the coverage may then exceed 1 − α + 1/(n + 1).
    /// </summary>
    /// <value>The default value is <see langword="false"/> (sets are never empty).</value>
    public bool AllowEmptySets { get; init; }

    /// <summary>Gets how cases that share a cluster id are reduced to one calibration score per cluster, when cluster ids are given to <c>Fit</c>.</summary>
    /// <value>The default value is <see cref="ClusterCalibration.RandomCase"/>.</value>
    public ClusterCalibration ClusterCalibration { get; init; } = ClusterCalibration.RandomCase;

    /// <summary>
    /// Gets the seed of every random draw: the calibration draws u come from TorchSharp's generator seeded with <c>Seed</c>, the draws of
    /// each prediction call from one seeded with <c>Seed + 1</c> (restarted at every call, so a batch always gets the same sets), and the
    /// case kept per cluster from one seeded with <c>Seed + 2</c>.
    /// </summary>
    /// <value>The default value is 0.</value>
    public long Seed { get; init; }

    /// <summary>Checks every option, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are out of range; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(Score))
        {
            problems.Add($"Score must be a defined SetScore; found {Score}");
        }

        if (!double.IsFinite(Lambda) || Lambda < 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Lambda must be a finite number ≥ 0; found {Lambda}"));
        }

        if (KReg < 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"KReg must be at least 0; found {KReg}"));
        }

        if (!Enum.IsDefined(ClusterCalibration))
        {
            problems.Add($"ClusterCalibration must be a defined ClusterCalibration; found {ClusterCalibration}");
        }

        if (Seed < 0 || Seed > long.MaxValue - 2)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"Seed must be in [0, {long.MaxValue - 2}]; found {Seed}"));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid ConformalSetOptions: " + string.Join("; ", problems) + ".", "options");
        }
    }

    /// <summary>Gets a value indicating whether randomisation breaks ties lexicographically by u (LAC, top-k) rather than entering the score (APS, RAPS).</summary>
    internal bool Lexicographic => Randomized && Score is SetScore.Lac or SetScore.TopK;
}
