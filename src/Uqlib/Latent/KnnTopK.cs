using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>
/// The partial state of a kNN pass whose bank is split over shards: for every query, the distances to its k nearest rows of one shard's
/// bank and those rows' global indices. Merging the shards' states keeps the k nearest of all, which gives the scores of
/// <see cref="KnnDetector.Score"/> over the whole bank. Immutable: it hands out only copies; every member throws
/// <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// <para>Sun et al. 2022, "Out-of-distribution detection with deep nearest neighbors": the score is the distance of the normalised query to its
/// k-th nearest normalised bank feature. The k nearest over a union of banks are the k nearest of each bank's k nearest, so
/// <see cref="Merge"/> is exact: every kept distance is the exact float64 distance, computed as the unsharded detector computes its
/// k-th (float32 candidates, then float64 differences of the normalised rows; see <see cref="KnnDetector"/>), so all k are exact and
/// correctly ranked, and the scores of the merged state equal the unsharded scores bit for bit. Among exactly tied distances the
/// indices kept are unspecified (the scores do not depend on them).</para>
/// <para>A shard builds its <see cref="KnnDetector"/> from its block of bank rows (see <see cref="Sharding.ShardSpec"/>) without
/// <see cref="KnnOptions.BankSize"/> sub-sampling (a sub-sampled bank is not split exactly), and passes the block's first row as
/// <c>bankOffset</c>. Memory: N × k × 16 bytes per state; computing one holds the detector's chunk of similarities at a time.
/// Thread-safe for reading.</para>
/// </remarks>
public sealed class KnnTopK : IDisposable
{
    private const string Kind = "KnnTopK";
    private const int Version = 1;
    private readonly Tensor distances;
    private readonly Tensor indices;
    private bool disposed;

    private KnnTopK(Tensor distances, Tensor indices)
    {
        this.distances = distances;
        this.indices = indices;
    }

    /// <summary>Gets the number of queries N.</summary>
    /// <exception cref="ObjectDisposedException">The state has been disposed.</exception>
    public long Queries
    {
        get
        {
            ThrowIfDisposed();
            return distances.shape[0];
        }
    }

    /// <summary>Gets k, the number of neighbours kept per query.</summary>
    /// <exception cref="ObjectDisposedException">The state has been disposed.</exception>
    public int K
    {
        get
        {
            ThrowIfDisposed();
            return (int)distances.shape[1];
        }
    }

    /// <summary>Gets a copy of the distances of each normalised query to its k nearest normalised bank rows <c>(N, k)</c>, float64, in [0, 2], in no particular order within a row; the caller disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The state has been disposed.</exception>
    public Tensor Distances
    {
        get
        {
            ThrowIfDisposed();
            return distances.clone();
        }
    }

    /// <summary>Gets a copy of the global bank row index of each kept distance <c>(N, k)</c>, int64; the caller disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The state has been disposed.</exception>
    public Tensor Indices
    {
        get
        {
            ThrowIfDisposed();
            return indices.clone();
        }
    }

    /// <summary>Computes the k nearest of one shard's bank rows for every query, with k = <see cref="KnnDetector.K"/>.</summary>
    /// <param name="shard">A detector whose bank is this shard's block of bank rows; not disposed.</param>
    /// <param name="features">Query features <c>(N, F)</c>, finite, of the bank's dimension; not disposed.</param>
    /// <param name="bankOffset">The global index of the shard's first bank row, at least 0 (0 for an unsplit bank).</param>
    /// <param name="progress">Receives the query chunks and queries done; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between query chunks.</param>
    /// <returns>The partial state; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shard"/> or <paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2, of another dimension than the bank, or not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bankOffset"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="shard"/> has been disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static KnnTopK Compute(KnnDetector shard, Tensor features, long bankOffset = 0,
        IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Preconditions.NotNull(shard, nameof(shard));
        Preconditions.Tensor(features, nameof(features), 2, 2);
        if (features.shape[1] != shard.Dimension)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"features must have dimension {shard.Dimension}, as the shard's bank has; found shape {Preconditions.ShapeText(features)}."),
                nameof(features));
        }

        Preconditions.Finite(features, nameof(features));
        if (bankOffset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bankOffset), bankOffset, string.Create(CultureInfo.InvariantCulture, $"bankOffset must be at least 0; found {bankOffset}."));
        }

        using var scope = torch.NewDisposeScope();
        var (distances, rows) = shard.Nearest(features, progress, cancellationToken);
        rows.add_(bankOffset);
        return new KnnTopK(distances.DetachFromDisposeScope(), rows.DetachFromDisposeScope());
    }

    /// <summary>Merges the partial states of shards that split one bank: for every query, the k smallest distances of all of them.</summary>
    /// <param name="parts">The shards' states, one or more, over the same queries in the same order and with the same k; not disposed.</param>
    /// <param name="progress">Receives the states merged so far (as batches) and the queries; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between states.</param>
    /// <returns>The merged state; the caller disposes it. Its <see cref="Scores"/> equal <see cref="KnnDetector.Score"/> over the union of the banks.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parts"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="parts"/> is empty, or its states differ in queries or k.</exception>
    /// <exception cref="ObjectDisposedException">A state has been disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static KnnTopK Merge(IReadOnlyList<KnnTopK> parts, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Preconditions.NotNull(parts, nameof(parts));
        if (parts.Count == 0)
        {
            throw new ArgumentException("parts must hold at least one shard's state; found none.", nameof(parts));
        }

        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i] ?? throw new ArgumentNullException(nameof(parts), string.Create(CultureInfo.InvariantCulture, $"parts[{i}] is null."));
            part.ThrowIfDisposed();
            if (part.Queries != parts[0].Queries || part.K != parts[0].K)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"Every state must cover the same queries with the same k; parts[0] has {parts[0].Queries} queries and k = {parts[0].K}, parts[{i}] has {part.Queries} and k = {part.K}."),
                    nameof(parts));
            }
        }

        using var scope = torch.NewDisposeScope();
        var k = parts[0].K;
        var device = parts[0].distances.device;
        var best = parts[0].distances.clone();
        var bestRows = parts[0].indices.clone();
        for (var i = 1; i < parts.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = torch.NewDisposeScope();
            var (top, order) = torch.cat(new[] { best, parts[i].distances.to(device) }, 1).topk(k, 1, largest: false, sorted: false);
            var at = torch.cat(new[] { bestRows, parts[i].indices.to(device) }, 1).gather(1, order);
            best.Dispose();
            bestRows.Dispose();
            best = top.MoveToOuterDisposeScope();
            bestRows = at.MoveToOuterDisposeScope();
            progress?.Report(new EstimationProgress(i + 1, parts[0].Queries));
        }

        return new KnnTopK(best.DetachFromDisposeScope(), bestRows.DetachFromDisposeScope());
    }

    /// <summary>Loads a state saved by <see cref="Save"/>, on the CPU.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The state; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved kNN top-k state, or is truncated, corrupt (checksum), of a newer version, or its fields are inconsistent; nothing is left allocated.</exception>
    public static KnnTopK Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var values = reader.Tensor("distances", 2, ScalarType.Float64);
            var rows = reader.Tensor("indices", 2, ScalarType.Int64);
            if (!values.shape.AsSpan().SequenceEqual(rows.shape) || values.shape[0] < 1 || values.shape[1] < 1)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"its distances {Preconditions.ShapeText(values)} and indices {Preconditions.ShapeText(rows)} must have one non-empty shape"));
            }

            using var scope = torch.NewDisposeScope();
            if (values.lt(0.0).any().item<bool>() || values.gt(2.0001).any().item<bool>() || rows.lt(0).any().item<bool>())
            {
                throw reader.Invalid("its distances must lie in [0, 2] and its indices be at least 0");
            }

            return new KnnTopK(values, rows);
        });
    }

    /// <summary>The kNN scores: the distance of each normalised query to its k-th nearest bank feature, as <see cref="KnnDetector.Score"/> gives.</summary>
    /// <returns>Distances <c>(N)</c> in [0, 2], float64; higher is more uncertain; the caller disposes them.</returns>
    /// <exception cref="ObjectDisposedException">The state has been disposed.</exception>
    public Tensor Scores()
    {
        ThrowIfDisposed();

        // The k-th nearest is the farthest of the k nearest.
        return distances.amax(new long[] { 1 });
    }

    /// <summary>Saves the state to a file in the library's envelope, atomically (see <see cref="Load"/>).</summary>
    /// <param name="path">The file; replaced if it exists, and left unchanged if writing fails.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is then left unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The state has been disposed.</exception>
    public void Save(string path)
    {
        ThrowIfDisposed();
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Tensor("distances", distances);
            writer.Tensor("indices", indices);
        });
    }

    /// <summary>Returns a summary like <c>KnnTopK(n=10000, k=50)</c>.</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        return disposed ? "KnnTopK(disposed)" : string.Create(CultureInfo.InvariantCulture, $"KnnTopK(n={distances.shape[0]}, k={distances.shape[1]})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        distances.Dispose();
        indices.Dispose();
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }
}
