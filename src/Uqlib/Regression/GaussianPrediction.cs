using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Regression;

/// <summary>A Gaussian predictive distribution per target: a mean and a strictly positive variance of one shape, <c>(N)</c> or <c>(N, D)</c>.</summary>
/// <remarks>
/// Owns its two tensors: dispose it (or move them out) when done. Immutable once made; not thread-safe to dispose while in use.
/// </remarks>
public sealed class GaussianPrediction : IDisposable
{
    private readonly Tensor mean;
    private readonly Tensor variance;
    private bool disposed;

    private GaussianPrediction(Tensor mean, Tensor variance)
    {
        this.mean = mean;
        this.variance = variance;
    }

    /// <summary>Gets the predicted means, <c>(N)</c> or <c>(N, D)</c>.</summary>
    /// <exception cref="ObjectDisposedException">The prediction has been disposed.</exception>
    public Tensor Mean
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return mean;
        }
    }

    /// <summary>Gets the predicted variances σ², strictly positive, of the shape of <see cref="Mean"/>.</summary>
    /// <exception cref="ObjectDisposedException">The prediction has been disposed.</exception>
    public Tensor Variance
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return variance;
        }
    }

    /// <summary>Splits a <see cref="OutputKind.GaussianRegression"/> output into a mean and a variance.</summary>
    /// <param name="output">
    /// The model's raw output: <c>(N, 2)</c> for one target (column 0 the mean, column 1 the variance channel) or <c>(N, 2, D)</c>
    /// for D targets (channel 0 the means, channel 1 the variance channel). Not disposed.
    /// </param>
    /// <param name="head">What the variance channel holds; by default the log-variance.</param>
    /// <returns>A new prediction with means and variances of shape <c>(N)</c> or <c>(N, D)</c>, in the output's dtype and device; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The output is empty, not of shape <c>(N, 2)</c> or <c>(N, 2, D)</c>, holds NaN or infinite values, or gives a variance that is not
    /// strictly positive and finite (a variance ≤ 0, or a log-variance whose exponential underflows to 0 or overflows).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="head"/> is not a defined <see cref="GaussianHead"/>.</exception>
    public static GaussianPrediction FromOutput(Tensor output, GaussianHead head = GaussianHead.LogVariance)
    {
        Preconditions.Tensor(output, nameof(output), 2, 3);
        if (!Enum.IsDefined(head))
        {
            throw new ArgumentOutOfRangeException(nameof(head), head, $"head must be a defined GaussianHead; found {head}.");
        }

        if (output.shape[1] != 2 || output.numel() == 0)
        {
            throw new ArgumentException(
                $"output of a Gaussian regression model must have shape (N, 2) or (N, 2, D), mean then variance channel; found {Preconditions.ShapeText(output)}.",
                nameof(output));
        }

        Preconditions.Finite(output, nameof(output));
        using var scope = torch.NewDisposeScope();
        var mean = output.select(1, 0).clone();
        var channel = output.select(1, 1);
        var variance = head == GaussianHead.LogVariance ? channel.exp() : channel.clone();
        if (head == GaussianHead.LogVariance)
        {
            CheckExponential(channel, variance);
        }

        Preconditions.PositiveValues(variance, "variance");
        return new GaussianPrediction(mean.MoveToOuterDisposeScope(), variance.MoveToOuterDisposeScope());
    }

    /// <summary>Makes a prediction from a mean and a variance, copying both.</summary>
    /// <param name="mean">The means, <c>(N)</c> or <c>(N, D)</c>, finite. Not disposed.</param>
    /// <param name="variance">The variances σ², of the shape of <paramref name="mean"/>, finite and strictly positive. Not disposed.</param>
    /// <returns>A new prediction; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// A tensor is empty, of rank other than 1 or 2, holds NaN or infinite values; the shapes differ; or a variance is ≤ 0.
    /// </exception>
    public static GaussianPrediction Create(Tensor mean, Tensor variance)
    {
        Preconditions.RegressionValues(mean, nameof(mean));
        Preconditions.SameShape(mean, nameof(mean), variance, nameof(variance));
        Preconditions.RegressionValues(variance, nameof(variance));
        Preconditions.PositiveValues(variance, nameof(variance));
        return new GaussianPrediction(mean.clone(), variance.clone());
    }

    /// <summary>Computes the predicted standard deviations σ.</summary>
    /// <returns>A new tensor √σ² of the shape of <see cref="Mean"/>; the caller disposes it.</returns>
    /// <exception cref="ObjectDisposedException">The prediction has been disposed.</exception>
    public Tensor StandardDeviation()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return variance.sqrt();
    }

    /// <summary>Disposes the mean and variance tensors; later calls do nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        mean.Dispose();
        variance.Dispose();
    }

    /// <summary>Reports a log-variance whose exponential is 0 or infinite, naming the log-variance found.</summary>
    private static void CheckExponential(Tensor logVariance, Tensor variance)
    {
        using var scope = torch.NewDisposeScope();
        var bad = variance.isfinite().logical_not_().logical_or_(variance.le(0));
        if (!bad.any().item<bool>())
        {
            return;
        }

        var count = bad.sum().item<long>();
        var flat = bad.flatten().nonzero()[0, 0].item<long>();
        var rowWidth = Math.Max(1, variance.numel() / variance.shape[0]);
        var found = logVariance.flatten()[flat].ToDouble();
        throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture,
                $"output's log-variance gives a variance that is not strictly positive and finite in its dtype {variance.dtype}: {count} value{(count == 1 ? string.Empty : "s")} (first at row {flat / rowWidth}: log-variance {found})."),
            "output");
    }
}
