using System;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// ReAct, rectified activations: the penultimate activations are clipped at a high percentile of the training activations before the
/// final linear layer, and the energy of the resulting logits is the score. Immutable: it owns its tensors and hands out only copies;
/// every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// <para>Sun, Guo &amp; Li 2021, "ReAct: Out-of-distribution detection with rectified activations" (NeurIPS): c = the p-th percentile
/// (p = 90) of every activation of every training sample pooled (<c>numpy.percentile</c>, linear interpolation), h̄(x) = min(h(x), c)
/// elementwise, and score(x) = −logsumexp(W h̄(x) + b), the negative energy (Liu et al. 2020) of the rectified logits: higher is more
/// OOD. As the authors' code, only the upper side is clipped. Computed in float64.</para>
/// <para>The features are the input of the final linear layer (for a TorchSharp module, a <see cref="Models.TorchModuleModel"/>
/// whose <c>featureLayer</c> is the layer before it); only those features and the layer's weight and bias are needed, so the detector
/// runs on features computed anywhere. Thread-safe for reading.</para>
/// </remarks>
public sealed class ReactDetector : IDisposable, ILatentDetector
{
    private const string Kind = "ReactDetector";
    private const int Version = 1;
    private readonly LinearHead head;
    private readonly double threshold;
    private readonly double percentile;
    private readonly long count;

    private ReactDetector(LinearHead head, double threshold, double percentile, long count)
    {
        this.head = head;
        this.threshold = threshold;
        this.percentile = percentile;
        this.count = count;
    }

    /// <summary>Gets the clipping threshold c, the chosen percentile of the training activations.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public double Threshold => head.Guard(this, threshold);

    /// <summary>Gets the percentile p the threshold was fitted at, in [0, 100].</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public double Percentile => head.Guard(this, percentile);

    /// <summary>Gets the number of training samples the threshold was fitted on.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Count => head.Guard(this, count);

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension => head.Guard(this, head.Dimension);

    /// <summary>Gets a copy of the final layer's weight <c>(C, F)</c>, float64; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Weight => head.GuardedCopy(this, head.Weight);

    /// <summary>Gets a copy of the final layer's bias <c>(C)</c>, float64 (zeros when none was given); the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Bias => head.GuardedCopy(this, head.Bias);

    /// <summary>Fits the clipping threshold on training features.</summary>
    /// <param name="features">Training penultimate activations <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>, finite; copied.</param>
    /// <param name="bias">Its bias <c>(C)</c>, or <see langword="null"/> for none; copied.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="ReactOptions.Default"/>.</param>
    /// <param name="progress">Receives one report with every training sample when the fit is done; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the fit before it starts.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or <paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of the wrong shape or not finite, or an option is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ReactDetector Fit(
        Tensor features, Tensor weight, Tensor? bias = null, ReactOptions? options = null, IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= ReactOptions.Default;
        options.Validate();
        var head = LinearHead.ForTraining(features, weight, bias);
        try
        {
            using var scope = torch.NewDisposeScope();
            // Selected and interpolated in the features' own dtype, as numpy.percentile on them (no float64 copy of N·F values).
            var pooled = features.reshape(1, -1);
            var threshold = RowPercentile.Of(pooled, options.Percentile).ToDouble();
            progress?.Report(new EstimationProgress(1, features.shape[0]) { TotalSamples = features.shape[0] });
            return new ReactDetector(head, threshold, options.Percentile, features.shape[0]);
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    /// <summary>Loads a detector saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector, giving identical scores; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved ReAct detector, or is truncated, corrupt (checksum) or of a newer version; nothing is left allocated.</exception>
    public static ReactDetector Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var threshold = reader.Double("threshold");
            var percentile = reader.Double("percentile");
            var count = reader.Int64("count");
            var head = LinearHead.Read(reader);
            if (!double.IsFinite(threshold) || !(percentile is >= 0 and <= 100) || count < 1)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"threshold {threshold}, percentile {percentile} and count {count} do not fit together"));
            }

            return new ReactDetector(head, threshold, percentile, count);
        });
    }

    /// <summary>The ReAct score −logsumexp(W min(x, c) + b).</summary>
    /// <param name="features">Penultimate activations <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64; higher is more OOD.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the layer, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features)
    {
        head.ThrowIfDisposed(this);
        head.CheckShape(features);
        return head.ScoreRows(features, x => head.NegativeEnergy(x.clamp_max_(threshold)));
    }

    /// <summary>Saves the detector to a file (see <see cref="Load"/>).</summary>
    /// <param name="path">The file; overwritten.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is then left unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public void Save(string path)
    {
        head.ThrowIfDisposed(this);
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Number("threshold", Threshold);
            writer.Number("percentile", Percentile);
            writer.Number("count", Count);
            head.Write(writer);
        });
    }

    /// <summary>Describes the fitted detector, e.g. <c>ReactDetector(threshold=1.2345, percentile=90, n=5000)</c>.</summary>
    /// <returns>The description.</returns>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public override string ToString()
    {
        head.ThrowIfDisposed(this);
        return string.Create(CultureInfo.InvariantCulture, $"ReactDetector(threshold={Threshold:G5}, percentile={Percentile:G5}, n={Count})");
    }

    /// <inheritdoc />
    public void Dispose() => head.Dispose();
}
