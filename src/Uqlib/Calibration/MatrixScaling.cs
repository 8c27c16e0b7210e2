using System;
using System.Globalization;
using System.Threading;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Calibration;

/// <summary>Matrix scaling: calibrated probabilities softmax(z Wᵀ + b) with a full C × C matrix, fitted by minimising the validation NLL, optionally with off-diagonal L2 regularisation.</summary>
/// <remarks>
/// <para>Guo et al. 2017, "On calibration of modern neural networks"; the off-diagonal regulariser is Kull et al. 2019, "Beyond temperature
/// scaling: obtaining well-calibrated multiclass probabilities with Dirichlet calibration". The objective is convex; it is minimised by L-BFGS
/// (MathNet.Numerics) from the identity map, deterministically. With C² + C parameters it over-fits small validation sets: prefer temperature
/// or vector scaling there, or regularise. Every class must occur among the validation labels.</para>
/// <para>A binary single-logit model's z is read as the two class logits (0, z). An immutable value; thread-safe.</para>
/// </remarks>
public sealed class MatrixScaling : ICalibrator
{
    private const string Kind = "MatrixScaling";
    private const int Version = 1;

    private readonly double[] weights;
    private readonly double[] bias;

    private MatrixScaling(double[] weights, double[] bias)
    {
        this.weights = weights;
        this.bias = bias;
    }

    /// <inheritdoc />
    public int Classes => bias.Length;

    /// <summary>Gets the matrix W, row-major C × C: row c holds the weights of the scaled logit of class c.</summary>
    public ReadOnlyMemory<double> Weights => weights;

    /// <summary>Gets the per-class biases b.</summary>
    public ReadOnlyMemory<double> Bias => bias;

    /// <summary>Fits W and b on validation logits without regularisation.</summary>
    /// <param name="logits">Logits <c>(N, C)</c>, or a binary model's <c>(N)</c>/<c>(N, 1)</c>; not disposed.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>, every class occurring; not disposed.</param>
    /// <returns>The fitted calibrator.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the logits are not finite or are probabilities (every value in [0, 1], every row summing to 1: pass logits or log-probabilities), a label is out of range, or a class never occurs.</exception>
    /// <exception cref="InvalidOperationException">The optimiser did not converge.</exception>
    public static MatrixScaling Fit(Tensor logits, Tensor labels)
    {
        return Fit(logits, labels, new MatrixScalingOptions());
    }

    /// <summary>Fits W and b on validation logits with the given regularisation.</summary>
    /// <param name="logits">Logits <c>(N, C)</c>, or a binary model's <c>(N)</c>/<c>(N, 1)</c>; not disposed.</param>
    /// <param name="labels">Integer class indices <c>(N)</c>, every class occurring; not disposed.</param>
    /// <param name="options">The regularisation.</param>
    /// <param name="progress">Receives one report when the fit is done, with <see cref="EstimationProgress.Samples"/> = <see cref="EstimationProgress.TotalSamples"/> = N, the number of samples; <see langword="null"/> (the default) reports nothing.</param>
    /// <param name="cancellationToken">Cancels the fit (default: none); checked before it starts and at every evaluation of the objective.</param>
    /// <returns>The fitted calibrator.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank, the lengths differ, the logits are not finite or are probabilities (every value in [0, 1], every row summing to 1: pass logits or log-probabilities), a label is out of range, a class never occurs, or the options are invalid.</exception>
    /// <exception cref="InvalidOperationException">The optimiser did not converge.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> is cancelled.</exception>
    public static MatrixScaling Fit(Tensor logits, Tensor labels, MatrixScalingOptions options, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var (w, b) = LinearScalingFit.Fit(logits, labels, matrix: true, options.OffDiagonalRegularization, cancellationToken);
        return EstimationProgress.Completed(progress, logits.shape[0], new MatrixScaling(w, b));
    }

    /// <summary>Loads a matrix scaling saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The calibrator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="System.IO.InvalidDataException">The file is corrupt (checksum), truncated, of a newer version, of another kind, or saved by Uqlib 0.1.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be read.</exception>
    public static MatrixScaling Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var classes = reader.Int32("classes");
            if (classes < 2 || classes > 46_340)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"it has {classes} classes; expected 2 to 46340"));
            }

            return new MatrixScaling(reader.Doubles("weights", classes * classes), reader.Doubles("bias", classes));
        });
    }

    /// <inheritdoc />
    public Tensor Transform(Tensor logits)
    {
        return LinearScalingFit.Transform(logits, Classes, weights, bias, matrix: true);
    }

    /// <inheritdoc />
    public void Save(string path)
    {
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Number("classes", Classes);
            writer.Numbers("weights", weights);
            writer.Numbers("bias", bias);
        });
    }

    /// <summary>A one-line description of the fitted value (scikit-learn's repr style, invariant culture), e.g. for logs and notebooks.</summary>
    /// <returns>The type name and its fitted parameters.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"MatrixScaling(classes={Classes})");
}
