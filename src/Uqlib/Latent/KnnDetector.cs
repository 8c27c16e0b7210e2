using System;
using System.Globalization;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Latent;

/// <summary>A bank of L2-normalised training features, scoring a sample by the distance of its normalised feature to the k-th nearest one. Immutable: it owns its bank and hands out only copies; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
/// <remarks>
/// Sun et al. 2022, "Out-of-distribution detection with deep nearest neighbors": score(x) = |z − z_(k)| with z = x/|x| and z_(k) the
/// k-th nearest normalised training feature. For unit vectors |z − b|² = 2 − 2 z·b, so the score is computed as a chunked
/// matrix product with the bank and a running top-k of the similarities, holding at most <see cref="KnnOptions.ChunkElements"/>
/// similarities (or 256 × k, if more) at a time. The bank is float32; a zero feature vector is left at zero. With <see cref="KnnOptions.BankSize"/> the bank is a
/// uniform sample without replacement, drawn in a streaming way that does not depend on how the training set was batched. Higher is more uncertain. Thread-safe for reading.
/// </remarks>
public sealed class KnnDetector : IDisposable, ILatentDetector
{
    private const string Kind = "KnnDetector";
    private const int Version = 1;
    private readonly Tensor bank;
    private readonly int k;
    private readonly long chunkElements;
    private bool disposed;

    private KnnDetector(Tensor bank, int k, long chunkElements)
    {
        this.bank = bank;
        this.k = k;
        this.chunkElements = chunkElements;
    }

    /// <summary>Gets a copy of the bank of normalised training features <c>(M, F)</c>, float32; the caller owns and disposes it (editing it leaves the detector unchanged).</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Bank
    {
        get
        {
            ThrowIfDisposed();
            return bank.clone();
        }
    }

    /// <summary>Gets the rank k of the neighbour whose distance is the score.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public int K
    {
        get
        {
            ThrowIfDisposed();
            return k;
        }
    }

    /// <summary>Gets the largest number of similarities held at once while scoring.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long ChunkElements
    {
        get
        {
            ThrowIfDisposed();
            return chunkElements;
        }
    }

    /// <summary>Gets the number of features in the bank.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long BankSize
    {
        get
        {
            ThrowIfDisposed();
            return bank.shape[0];
        }
    }

    /// <summary>Gets the feature dimension F.</summary>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public long Dimension
    {
        get
        {
            ThrowIfDisposed();
            return bank.shape[1];
        }
    }

    /// <summary>Builds the bank from training features.</summary>
    /// <param name="features">Training features <c>(N, F)</c>, finite; not disposed.</param>
    /// <param name="options">The options, or <see langword="null"/> for <see cref="KnnOptions.Default"/>.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2 or not finite; fewer than k features would be kept; an option is out of range.</exception>
    public static KnnDetector Fit(Tensor features, KnnOptions? options = null)
    {
        options ??= KnnOptions.Default;
        options.Validate();
        Preconditions.Tensor(features, nameof(features), 2, 2);
        Preconditions.Finite(features, nameof(features));
        using var builder = new KnnBankBuilder(options);
        using (var scope = torch.NewDisposeScope())
        {
            builder.Add(Normalise(features));
        }

        return FromBuilder(builder, options);
    }

    /// <summary>Loads a detector saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector, giving identical scores; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved kNN detector, or is truncated, corrupt (checksum), of a newer version or saved by Uqlib 0.1; nothing is left allocated.</exception>
    public static KnnDetector Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var k = reader.Int32("k");
            var chunk = reader.Int64("chunkElements");
            var bank = reader.Tensor("bank", 2, ScalarType.Float32);
            if (k < 1 || k > bank.shape[0] || chunk < 1)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"k = {k} and chunkElements = {chunk} do not suit a bank of {bank.shape[0]} features"));
            }

            return new KnnDetector(bank, k, chunk);
        });
    }

    /// <summary>The score: the Euclidean distance of each normalised feature to its k-th nearest bank feature.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Distances <c>(N)</c> in [0, 2], float32; higher is more uncertain.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the bank, or not finite.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public Tensor Score(Tensor features)
    {
        ThrowIfDisposed();
        Preconditions.Tensor(features, nameof(features), 2, 2);
        if (features.shape[1] != Dimension)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"features must have dimension {Dimension}, as the bank has; found shape {Preconditions.ShapeText(features)}."),
                nameof(features));
        }

        Preconditions.Finite(features, nameof(features));
        return ScoreCore(features);
    }

    /// <summary>Saves the detector to a file (see <see cref="Load"/>).</summary>
    /// <param name="path">The file; overwritten.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is then left unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The detector has been disposed.</exception>
    public void Save(string path)
    {
        ThrowIfDisposed();
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Number("k", k);
            writer.Number("chunkElements", chunkElements);
            writer.Tensor("bank", bank);
        });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        bank.Dispose();
    }

    /// <summary>Normalises rows to unit length in float32 (a zero row stays zero).</summary>
    internal static Tensor Normalise(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        return nn.functional.normalize(features.to(ScalarType.Float32), 2.0, 1, 1e-12).MoveToOuterDisposeScope();
    }

    /// <summary>Builds a detector from a bank builder, checking that it holds at least k rows.</summary>
    internal static KnnDetector FromBuilder(KnnBankBuilder builder, KnnOptions options)
    {
        var bank = builder.ToBank();
        var size = bank?.shape[0] ?? 0;
        if (bank is null || options.K > size)
        {
            bank?.Dispose();
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"K = {options.K} needs at least {options.K} training features; found {builder.Count}."), "features");
        }

        return new KnnDetector(bank.DetachFromDisposeScope(), options.K, options.ChunkElements);
    }

    /// <summary>Gets the bank itself (not a copy), for <see cref="KnnTopK"/>; never handed to callers.</summary>
    internal Tensor BankView => bank;

    internal Tensor ScoreCore(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        var queries = Normalise(features.to(bank.device));
        var n = queries.shape[0];
        var m = bank.shape[0];
        var queryChunk = Math.Min(n, Math.Max(256L, chunkElements / m));
        var bankChunk = Math.Min(m, Math.Max(k, chunkElements / queryChunk));
        var scores = torch.empty(n, ScalarType.Float32, bank.device);
        for (long start = 0; start < n; start += queryChunk)
        {
            // Each chunk's similarities and top-k die with its scope: only the running top k of the query chunk is kept.
            using var chunkScope = torch.NewDisposeScope();
            var block = queries.narrow(0, start, Math.Min(queryChunk, n - start));
            Tensor? best = null;
            for (long from = 0; from < m; from += bankChunk)
            {
                using var stepScope = torch.NewDisposeScope();
                var part = bank.narrow(0, from, Math.Min(bankChunk, m - from));
                var top = block.matmul(part.t()).topk((int)Math.Min(k, part.shape[0]), 1, largest: true, sorted: false).values;
                var merged = best is null ? top : torch.cat(new[] { best, top }, 1).topk(k, 1, largest: true, sorted: false).values;
                best?.Dispose();
                best = merged.MoveToOuterDisposeScope();
            }

            // The k-th largest similarity is the smallest of the top k; |z − b| = sqrt(2 − 2 z·b).
            scores.narrow(0, start, block.shape[0]).copy_(best!.amin(new long[] { 1 }).mul_(-2.0).add_(2.0).clamp_min_(0.0).sqrt_());
        }

        return scores.MoveToOuterDisposeScope();
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }
}
