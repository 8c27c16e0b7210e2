using System;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// DICE, directed sparsification: the final linear layer keeps only its weights whose contribution to the training activations is
/// largest, and the energy of the sparsified logits is the score. Immutable: it owns its tensors and hands out only copies; every member
/// throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// <para>Sun &amp; Li 2022, "DICE: Leveraging sparsification for out-of-distribution detection" (ECCV), as the authors' code: with the
/// mean training activation h̄ <c>(F)</c>, the contribution matrix V = W ⊙ h̄ (V_cj = w_cj h̄_j); the mask M keeps the entries of V
/// strictly above its p-th percentile (<c>numpy.percentile</c> over all C·F entries, p = 90); score(x) = −logsumexp((W ⊙ M) x + b),
/// the negative energy: higher is more OOD. Computed in float64.</para>
/// <para>The features are the input of the final linear layer; only those features and the layer's weight and bias are needed, so
/// the detector runs on features computed anywhere (for a TorchSharp module, a <see cref="Models.TorchModuleModel"/> whose
/// <c>featureLayer</c> is the layer before the final one). Thread-safe for reading.</para>
/// </remarks>
public sealed class DiceDetector : IDisposable, ILatentDetector
{
    private const string Kind = "DiceDetector";
    private const int Version = 1;
    private readonly LinearHead head;
    private readonly double threshold;
    private readonly double sparsity;
    private readonly long count;

    private DiceDetector(LinearHead head, double threshold, double sparsity, long count)
    {
        this.head = head;
        this.threshold = threshold;
        this.sparsity = sparsity;
        this.count = count;
    }

    /// <summary>Gets the contribution threshold: entries of W ⊙ h̄ at or below it are masked.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public double Threshold => head.Guard(this, threshold);

    /// <summary>Gets the sparsity p the mask was fitted at, in [0, 100).</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public double Sparsity => head.Guard(this, sparsity);

    /// <summary>Gets the number of training samples h̄ was averaged over.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Count => head.Guard(this, count);

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension => head.Guard(this, head.Dimension);

    /// <summary>Gets a copy of the sparsified weight W ⊙ M <c>(C, F)</c>, float64; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor MaskedWeight => head.GuardedCopy(this, head.Weight);

    /// <summary>Gets a copy of the final layer's bias <c>(C)</c>, float64 (zeros when none was given); the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Bias => head.GuardedCopy(this, head.Bias);

    /// <summary>Fits the mask on training features.</summary>
    /// <param name="features">Training penultimate activations <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>, finite; not disposed.</param>
    /// <param name="bias">Its bias <c>(C)</c>, or <see langword="null"/> for none; copied.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="DiceOptions.Default"/>.</param>
    /// <param name="progress">Receives one report with every training sample when the fit is done; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the fit before it starts.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or <paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of the wrong shape or not finite, or an option is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static DiceDetector Fit(
        Tensor features, Tensor weight, Tensor? bias = null, DiceOptions? options = null, IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= DiceOptions.Default;
        options.Validate();
        using var layer = LinearHead.ForTraining(features, weight, bias);
        using var scope = torch.NewDisposeScope();
        var mean = layer.ToHead(features).mean(new long[] { 0 });
        var contribution = layer.Weight.mul(mean);
        var threshold = RowPercentile.Of(contribution.reshape(1, -1), options.Sparsity).ToDouble();
        var masked = layer.Weight.mul(contribution.gt(threshold));
        var head = LinearHead.Wrap(masked.DetachFromDisposeScope(), layer.Bias.clone().DetachFromDisposeScope());
        progress?.Report(new EstimationProgress(1, features.shape[0]) { TotalSamples = features.shape[0] });
        return new DiceDetector(head, threshold, options.Sparsity, features.shape[0]);
    }

    /// <summary>Loads a detector saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector, giving identical scores; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved DICE detector, or is truncated, corrupt (checksum) or of a newer version; nothing is left allocated.</exception>
    public static DiceDetector Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var threshold = reader.Double("threshold");
            var sparsity = reader.Double("sparsity");
            var count = reader.Int64("count");
            var head = LinearHead.Read(reader, "maskedWeight");
            if (!double.IsFinite(threshold) || !(sparsity is >= 0 and < 100) || count < 1)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"threshold {threshold}, sparsity {sparsity} and count {count} do not fit together"));
            }

            return new DiceDetector(head, threshold, sparsity, count);
        });
    }

    /// <summary>The DICE score −logsumexp((W ⊙ M) x + b).</summary>
    /// <param name="features">Penultimate activations <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64; higher is more OOD.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the layer, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features)
    {
        head.ThrowIfDisposed(this);
        head.CheckShape(features);
        return head.ScoreRows(features, x => head.NegativeEnergy(x));
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
            writer.Number("sparsity", Sparsity);
            writer.Number("count", Count);
            head.Write(writer, "maskedWeight");
        });
    }

    /// <summary>Describes the fitted detector, e.g. <c>DiceDetector(sparsity=90, threshold=0.0123, n=5000)</c>.</summary>
    /// <returns>The description.</returns>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public override string ToString()
    {
        head.ThrowIfDisposed(this);
        return string.Create(CultureInfo.InvariantCulture, $"DiceDetector(sparsity={Sparsity:G5}, threshold={Threshold:G5}, n={Count})");
    }

    /// <inheritdoc />
    public void Dispose() => head.Dispose();
}
