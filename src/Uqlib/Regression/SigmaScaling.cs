using System;
using Uqlib.Persistence;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Regression;

/// <summary>σ-scaling: one factor s by which every predicted standard deviation is multiplied, fitted on validation data.</summary>
/// <remarks>
/// <para>
/// Levi, Gispan, Giladi &amp; Fetaya 2019, "Evaluating and calibrating uncertainty prediction in regression tasks": s minimises the
/// Gaussian negative log-likelihood of the validation targets under N(μ, (s·σ)²). The minimiser has the closed form
/// s² = (1/n) Σ (y − μ)² / σ² (setting the derivative n/s − Σ r²/(s³σ²) to 0), used here exactly instead of gradient descent.
/// For <c>(N, D)</c> predictions one factor is shared by all N·D values, as in the paper.
/// </para>
/// <para>Immutable and thread-safe.</para>
/// </remarks>
public sealed class SigmaScaling
{
    private const string Kind = "SigmaScaling";
    private const int Version = 1;

    private SigmaScaling(double scale)
    {
        Scale = scale;
    }

    /// <summary>Gets the factor s applied to standard deviations; variances are multiplied by s².</summary>
    /// <value>A finite number greater than 0; above 1 when the model was overconfident.</value>
    public double Scale { get; }

    /// <summary>Fits s on validation predictions by its closed form s² = mean((y − μ)² / σ²).</summary>
    /// <param name="mean">The validation means, <c>(N)</c> or <c>(N, D)</c>.</param>
    /// <param name="variance">The validation variances σ², of the shape of <paramref name="mean"/>, strictly positive.</param>
    /// <param name="targets">The validation targets, of the shape of <paramref name="mean"/>.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of validation samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted scaling.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    /// A tensor is empty, of rank other than 1 or 2, or holds NaN or infinite values; the shapes differ; a variance is ≤ 0; or every
    /// target equals its mean (s would be 0).
    /// </exception>
    public static SigmaScaling Fit(Tensor mean, Tensor variance, Tensor targets, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Preconditions.Gaussian(mean, variance, targets);
        using var scope = torch.NewDisposeScope();
        var r = targets.to(ScalarType.Float64).sub(mean.to(ScalarType.Float64));
        var squared = r.mul(r).div_(variance.to(ScalarType.Float64)).mean().ToDouble();
        return EstimationProgress.Completed(progress, mean.shape[0], FromMeanSquaredNormalisedResidual(squared));
    }

    /// <summary>Fits s on validation predictions by its closed form s² = mean((y − μ)² / σ²).</summary>
    /// <param name="mean">The validation means.</param>
    /// <param name="variance">The validation variances σ², strictly positive, one per mean.</param>
    /// <param name="targets">The validation targets, one per mean.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of validation samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts.</param>
    /// <returns>The fitted scaling.</returns>
    /// <exception cref="ArgumentException">A span is empty or holds NaN or infinite values; the lengths differ; a variance is ≤ 0; or every target equals its mean.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static SigmaScaling Fit(
        ReadOnlySpan<double> mean, ReadOnlySpan<double> variance, ReadOnlySpan<double> targets, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Preconditions.Gaussian(mean, variance, targets);
        var sum = 0.0;
        for (var i = 0; i < mean.Length; i++)
        {
            var r = targets[i] - mean[i];
            sum += r * r / variance[i];
        }

        return EstimationProgress.Completed(progress, mean.Length, FromMeanSquaredNormalisedResidual(sum / mean.Length));
    }

    /// <summary>Makes a scaling with a given factor (e.g. one fitted elsewhere).</summary>
    /// <param name="scale">The factor s on standard deviations, finite and greater than 0.</param>
    /// <returns>The scaling.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> is not a finite number greater than 0.</exception>
    public static SigmaScaling WithScale(double scale)
    {
        return new SigmaScaling(Preconditions.Positive(scale, nameof(scale)));
    }

    /// <summary>Applies the scaling to predicted variances: σ'² = s²·σ².</summary>
    /// <param name="variance">The predicted variances σ², <c>(N)</c> or <c>(N, D)</c>, strictly positive. Not disposed.</param>
    /// <returns>A new tensor of calibrated variances, in the input's dtype and device; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="variance"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The tensor is empty, of rank other than 1 or 2, holds NaN or infinite values, or a variance is ≤ 0.</exception>
    public Tensor Calibrate(Tensor variance)
    {
        Preconditions.RegressionValues(variance, nameof(variance));
        Preconditions.PositiveValues(variance, nameof(variance));
        return variance.mul(Scale * Scale);
    }

    /// <summary>Applies the scaling to a Gaussian prediction: the same means, variances multiplied by s².</summary>
    /// <param name="prediction">The prediction. Not disposed.</param>
    /// <returns>A new prediction; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="prediction"/> is <see langword="null"/>.</exception>
    public GaussianPrediction Calibrate(GaussianPrediction prediction)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        using var variance = prediction.Variance.mul(Scale * Scale);
        return GaussianPrediction.Create(prediction.Mean, variance);
    }

    /// <summary>Saves the scaling to a checksummed file, atomically (a failed save leaves an existing file unchanged).</summary>
    /// <param name="path">The file to write; replaced if it exists.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, writer => writer.Number("scale", Scale));
    }

    /// <summary>Loads a scaling saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The scaling, giving results identical to the saved one.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a σ-scaling file, is of another version, truncated or corrupt, or holds a scale that is not finite and positive.</exception>
    public static SigmaScaling Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var scale = reader.Double("scale");
            return scale > 0 ? new SigmaScaling(scale) : throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"scale must be greater than 0; found {scale}"));
        });
    }

    /// <inheritdoc />
    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture, $"SigmaScaling(s = {Scale})");
    }

    private static SigmaScaling FromMeanSquaredNormalisedResidual(double meanSquared)
    {
        if (!(meanSquared > 0))
        {
            throw new ArgumentException("targets equal the means exactly; σ-scaling needs at least one non-zero residual (the scale would be 0).", "targets");
        }

        if (!double.IsFinite(meanSquared))
        {
            throw new ArgumentException("The normalised squared residuals overflow; the scale would be infinite.", "targets");
        }

        return new SigmaScaling(Math.Sqrt(meanSquared));
    }
}
