using System;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Latent;

/// <summary>NNGuide, nearest-neighbour guidance: a feature's energy confidence multiplied by its mean similarity to its k nearest training features scaled by their own confidence, as a score (its negative). Immutable: it owns its tensors and hands out only copies; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
/// <remarks>
/// Park et al. 2023, "Nearest neighbor guidance for out-of-distribution detection" (ICCV), eq. 3–5, as the authors' code computes it:
/// the bank holds each training feature normalised to unit length and multiplied by its energy confidence s(x) = logsumexp(Wx + b);
/// the guidance of a query is the mean of the k largest inner products of its normalised feature with the bank (its k nearest
/// neighbours in that sense); the guided confidence is s(x) × guidance. The score is its negative, so that higher means more out of
/// distribution. Defaults follow the paper (k = 100). The bank is built and searched with the kNN detector's machinery
/// (<see cref="KnnDetector"/>: streaming uniform sub-sampling; the one chunked matrix product with a running top-k, which kNN follows
/// with a float64 refinement). NNGuide has none: as in the paper's faiss inner-product index the bank, the normalised queries and the
/// similarities are float32 (normalised in float64, then rounded once); the mean and the energy are float64. Thread-safe for reading.
/// </remarks>
public sealed class NnGuideDetector : IDisposable, ILatentDetector
{
    private const string Kind = "NnGuideDetector";
    private const int Version = 1;
    private readonly Tensor bank;
    private readonly LinearHead head;
    private readonly int k;
    private readonly long chunkElements;

    private NnGuideDetector(Tensor bank, LinearHead head, int k, long chunkElements)
    {
        this.bank = bank;
        this.head = head;
        this.k = k;
        this.chunkElements = chunkElements;
    }

    /// <summary>Gets a copy of the bank <c>(M, F)</c>, float32: normalised training features scaled by their energy confidence; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Bank => head.GuardedCopy(this, bank);

    /// <summary>Gets a copy of the final layer's weight <c>(C, F)</c>, float64; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Weight => head.GuardedCopy(this, head.Weight);

    /// <summary>Gets a copy of the final layer's bias <c>(C)</c>, float64; the caller owns and disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Bias => head.GuardedCopy(this, head.Bias);

    /// <summary>Gets the number k of nearest bank features averaged.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public int K => head.Guard(this, k);

    /// <summary>Gets the number of features in the bank.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long BankSize => head.Guard(this, bank).shape[0];

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension => head.Guard(this, head.Dimension);

    /// <summary>Builds the bank from training features and the final linear layer.</summary>
    /// <param name="features">Training features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="weight">The final linear layer's weight <c>(C, F)</c>, finite; not disposed.</param>
    /// <param name="bias">Its bias <c>(C)</c>, or <see langword="null"/> for none; not disposed.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="NnGuideOptions.Default"/>.</param>
    /// <param name="progress">Receives the rows added to the bank so far, one report per chunk; or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked once per chunk of rows.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> or <paramref name="weight"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty, of the wrong shape or not finite; fewer than k features would be kept; an option is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static NnGuideDetector Fit(
        Tensor features,
        Tensor weight,
        Tensor? bias = null,
        NnGuideOptions? options = null,
        IProgress<EstimationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= NnGuideOptions.Default;
        options.Validate();
        var head = LinearHead.ForTraining(features, weight, bias);
        try
        {
            var bankOptions = options.BankOptions();
            using var builder = new KnnBankBuilder(bankOptions);
            var n = features.shape[0];
            var rows = Math.Max(1, options.ChunkElements / Math.Max(head.Classes, head.Dimension));
            var batches = 0;
            for (long start = 0; start < n; start += rows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = torch.NewDisposeScope();
                var length = Math.Min(rows, n - start);
                var x = features.narrow(0, start, length);
                var confidence = head.NegativeEnergy(head.ToHead(x)).neg_().to(ScalarType.Float32);
                builder.Add(KnnDetector.Normalise(x).to(ScalarType.Float32, head.Weight.device).mul_(confidence.unsqueeze(1)));
                progress?.Report(new EstimationProgress(++batches, start + length));
            }

            var kept = builder.ToBank();
            if (kept is null || kept.shape[0] < options.K)
            {
                kept?.Dispose();
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"K = {options.K} needs at least {options.K} training features; found {builder.Count}."), nameof(features));
            }

            return new NnGuideDetector(kept.DetachFromDisposeScope(), head, options.K, options.ChunkElements);
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
    /// <exception cref="InvalidDataException">The file is not a saved NNGuide detector, or is truncated, corrupt (checksum) or of a newer version; nothing is left allocated.</exception>
    public static NnGuideDetector Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var k = reader.Int32("k");
            var chunk = reader.Int64("chunkElements");
            var bank = reader.Tensor("bank", 2, ScalarType.Float32);
            var head = LinearHead.Read(reader);
            if (k < 1 || k > bank.shape[0] || chunk < 1 || head.Dimension != bank.shape[1])
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"k = {k}, chunkElements = {chunk}, bank {Preconditions.ShapeText(bank)} and weight {Preconditions.ShapeText(head.Weight)} do not match"));
            }

            return new NnGuideDetector(bank, head, k, chunk);
        });
    }

    /// <summary>The guidance: the mean of each normalised feature's k largest inner products with the bank.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Guidance <c>(N)</c>, float64; larger for features near confident training features.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the bank, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Guidance(Tensor features)
    {
        head.ThrowIfDisposed(this);
        head.CheckFeatures(features);
        return GuidanceCore(features);
    }

    /// <summary>The score −logsumexp(Wx + b) × guidance(x).</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Scores <c>(N)</c>, float64; higher is more out of distribution.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the bank, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features)
    {
        head.ThrowIfDisposed(this);
        head.CheckShape(features);
        using var scope = torch.NewDisposeScope();
        var negativeEnergy = head.ScoreRows(features, x => head.NegativeEnergy(x));
        return negativeEnergy.mul_(GuidanceCore(features)).MoveToOuterDisposeScope();
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
            writer.Number("k", k);
            writer.Number("chunkElements", chunkElements);
            writer.Tensor("bank", bank);
            head.Write(writer);
        });
    }

    /// <summary>Describes the detector, e.g. <c>NnGuideDetector(k=100, bank=1281, C=1000, F=2048)</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        return head.IsDisposed
            ? "NnGuideDetector(disposed)"
            : string.Create(CultureInfo.InvariantCulture, $"NnGuideDetector(k={k}, bank={bank.shape[0]}, C={head.Classes}, F={bank.shape[1]})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        head.Dispose();
        bank.Dispose();
    }

    private Tensor GuidanceCore(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        var queries = KnnDetector.Normalise(features.to(bank.device)).to(ScalarType.Float32);
        return TopSimilarities.Largest(queries, bank, k, chunkElements).to(ScalarType.Float64).mean(new long[] { 1 }).MoveToOuterDisposeScope();
    }
}
