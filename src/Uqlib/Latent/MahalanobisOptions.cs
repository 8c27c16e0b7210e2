using System;
using System.Collections.Generic;
using Microsoft.Extensions.Logging;

namespace Uqlib.Latent;

/// <summary>Options of the Mahalanobis estimators (Lee et al. 2018; Ren et al. 2021).</summary>
public sealed record MahalanobisOptions
{
    /// <summary>Gets the default options.</summary>
    public static MahalanobisOptions Default { get; } = new();

    /// <summary>Gets the covariance estimate.</summary>
    /// <value>The default value is <see cref="CovarianceMethod.Auto"/>: Ledoit–Wolf when the training samples are fewer than ten times the feature dimension.</value>
    public CovarianceMethod Covariance { get; init; } = CovarianceMethod.Auto;

    /// <summary>Gets a value indicating whether one Gaussian of all training features is used instead of class means (no labels needed).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ClassAgnostic { get; init; }

    /// <summary>Gets the arithmetic in which scores are computed: <see cref="ScoreArithmetic.Float32"/> opts in to float32 matrix products (about twice as fast on CPU, see its remarks); scores are float64 either way.</summary>
    /// <value>The default value is <see cref="ScoreArithmetic.Float64"/>.</value>
    public ScoreArithmetic Arithmetic { get; init; } = ScoreArithmetic.Float64;

    /// <summary>Gets a value indicating whether feature maps <c>(N, C, H, W[, D])</c> are averaged over space to <c>(N, C)</c>; otherwise they are flattened.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool GlobalAveragePooling { get; init; } = true;

    /// <summary>Gets an optional logger: after each fit of <see cref="MahalanobisEstimator"/>, the covariance estimate it settled on (the method
    /// <see cref="CovarianceMethod.Auto"/> chose, its shrinkage) and the number of training samples, at <see cref="LogLevel.Information"/>.
    /// Never required; it does not change the fit.</summary>
    /// <value>The default value is <see langword="null"/>: nothing is logged.</value>
    public ILogger? Logger { get; init; }

    /// <summary>Checks every option, reporting every problem in one exception.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(Covariance))
        {
            problems.Add($"Covariance must be a defined CovarianceMethod; found {Covariance}");
        }

        if (!Enum.IsDefined(Arithmetic))
        {
            problems.Add($"Arithmetic must be a defined ScoreArithmetic; found {Arithmetic}");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid MahalanobisOptions: " + string.Join("; ", problems) + ".", "options");
        }
    }
}
