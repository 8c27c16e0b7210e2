using System;

namespace Uqlib.Evaluation;

/// <summary>Options of <see cref="OodEvaluator"/>.</summary>
public sealed record OodOptions
{
    /// <summary>Gets the default options.</summary>
    public static OodOptions Default { get; } = new();

    /// <summary>
    /// Gets the bootstrap that gives the confidence intervals of AUROC, AUPR-In, AUPR-Out and FPR@95%TPR (stratified: in-distribution and
    /// OOD cases resampled separately, see <see cref="Evaluation.Bootstrap"/>), or <see langword="null"/> for no intervals.
    /// </summary>
    /// <value>The default value is <c>new BootstrapOptions()</c>: 1,000 resamples, 95 % percentile intervals, seed 0.</value>
    public BootstrapOptions? Bootstrap { get; init; } = new();

    /// <summary>Checks every option and reports all problems in one exception.</summary>
    /// <exception cref="ArgumentException">The bootstrap options are invalid.</exception>
    public void Validate()
    {
        try
        {
            Bootstrap?.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException("Invalid OodOptions: Bootstrap: " + e.Message, "options", e);
        }
    }
}
