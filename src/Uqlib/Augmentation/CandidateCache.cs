using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using Uqlib.Calibration;
using Uqlib.Ensembles;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>
/// The cache a greedy policy search runs on: the model's log-probabilities under every candidate of a pool on the labelled validation set,
/// <c>(K, N, C)</c>, with the labels <c>(N)</c>. For segmentation models the rows are seeded sub-sampled pixels (voxels), so the same search
/// serves classification, segmentation and 3-D.
/// </summary>
/// <remarks>
/// <para>Lyzhov et al. 2020, "Greedy Policy Search: A Simple Baseline for Learnable Test-Time Augmentation": the model runs once per candidate
/// per validation batch, and the search never calls it again. For dense outputs <c>(N, C, H, W[, D])</c> a geometric candidate's probabilities
/// are mapped back with <see cref="IAugmentation.Invert"/> before their log is taken (interpolating probabilities keeps them normalised), and
/// each image contributes the same <see cref="CandidateCacheOptions.PixelsPerImage"/> pixels under every candidate, so the criterion is the
/// pixel-level calibrated log-likelihood. Log-probabilities are clamped at the smallest normal float32 before the log.</para>
/// <para>The tensors live on the CPU; memory is K × N × C × 4 bytes (2 with float16). With <see cref="CandidateCacheOptions.DiskDirectory"/> the
/// log-probabilities go to a file instead, written candidate by candidate as they are computed (then laid out as (K, N, C) one block at a
/// time), and <see cref="LogProbabilities"/> memory-maps it, so the search reads it chunk by chunk. Disposing the cache disposes the tensors and
/// deletes the file.</para>
/// </remarks>
public sealed class CandidateCache : IDisposable
{
    private const string Kind = "CandidateCache";
    private const int Version = 1;
    private readonly Tensor logProbabilities;
    private readonly Tensor labels;
    private readonly string? filePath;
    private bool disposed;

    private CandidateCache(Tensor logProbabilities, Tensor labels, string? filePath)
    {
        this.logProbabilities = logProbabilities;
        this.labels = labels;
        this.filePath = filePath;
    }

    /// <summary>Gets the file that backs <see cref="LogProbabilities"/> (see <see cref="CandidateCacheOptions.DiskDirectory"/>), or <see langword="null"/> for an in-memory cache.</summary>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public string? FilePath
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return filePath;
        }
    }

    /// <summary>Gets the log-probabilities <c>(K, N, C)</c>: row k holds candidate k's on the N validation samples or pixels.</summary>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public Tensor LogProbabilities
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return logProbabilities;
        }
    }

    /// <summary>Gets the labels <c>(N)</c>, int64 class indices.</summary>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public Tensor Labels
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return labels;
        }
    }

    /// <summary>Gets the number of candidates, K.</summary>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public int Candidates
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return (int)logProbabilities.shape[0];
        }
    }

    /// <summary>Gets the number of cached rows (samples, or drawn pixels), N.</summary>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public long Rows
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return logProbabilities.shape[1];
        }
    }

    /// <summary>Gets the number of classes, C.</summary>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public int Classes
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return (int)logProbabilities.shape[2];
        }
    }

    /// <summary>Runs the model under every candidate on the labelled validation batches and caches the log-probabilities.</summary>
    /// <param name="model">A classification or segmentation model (logits, a binary logit or probabilities); not disposed.</param>
    /// <param name="validation">The labelled validation batches: images <c>(N, C, H, W)</c> or volumes <c>(N, C, D, H, W)</c>, labels <c>(N)</c> class indices or <c>(N, H, W[, D])</c> masks; not disposed.</param>
    /// <param name="pool">The candidates; row k of the cache is <c>pool[k]</c>.</param>
    /// <param name="options">The options; <see langword="null"/> for <see cref="CandidateCacheOptions.Default"/>.</param>
    /// <param name="progress">Receives the batches and samples done after each batch; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between candidates.</param>
    /// <returns>The cache; the caller disposes it (which deletes the file of a disk-backed cache).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/>, <paramref name="validation"/> or <paramref name="pool"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The model is a regression model; there are no batches; a batch has no labels, or labels that do not match its outputs; the inputs are not
    /// images or volumes; the model's output is invalid (not finite, wrong rank, classes changing between batches); a candidate changes the input
    /// shape of a model whose output is not dense; or an option is out of range (including a <see cref="CandidateCacheOptions.DiskDirectory"/> that does not exist).
    /// </exception>
    /// <exception cref="IOException">The disk-backed cache file cannot be written (e.g. the disk is full); the partial file is deleted.</exception>
    /// <exception cref="UnauthorizedAccessException">The disk-backed cache file cannot be created in <see cref="CandidateCacheOptions.DiskDirectory"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; a partial disk-backed cache file is deleted.</exception>
    public static CandidateCache Build(IModel model, IEnumerable<Batch> validation, CandidatePool pool, CandidateCacheOptions? options = null,
        IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Preconditions.NotNull(model, nameof(model));
        Preconditions.NotNull(validation, nameof(validation));
        Preconditions.NotNull(pool, nameof(pool));
        options ??= CandidateCacheOptions.Default;
        options.Validate();
        if (model.OutputKind is OutputKind.Regression or OutputKind.GaussianRegression)
        {
            throw new ArgumentException($"Policy search needs class probabilities; the model outputs {model.OutputKind}.", nameof(model));
        }

        using var scope = torch.NewDisposeScope();
        var blocks = new List<Tensor>();
        var labels = new List<Tensor>();
        var batchRows = new List<long>();
        var index = 0;
        long samples = 0;
        long classes = -1;
        string? spillPath = null;
        string? path = null;
        FileStream? spill = null;
        var built = false;
        try
        {
            if (options.DiskDirectory is not null)
            {
                spillPath = Path.Combine(options.DiskDirectory, $"uqlib-gps-{Guid.NewGuid():N}.part");
                spill = new FileStream(spillPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
            }

            foreach (var batch in validation)
            {
                if (batch is null)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"validation batch {index} is null."), nameof(validation));
                }

                SpatialTensors.Check(batch.Inputs, nameof(validation));
                var (block, rowLabels, batchClasses) = BuildBatch(model, batch, index, pool, options, spill, cancellationToken);
                if (classes >= 0 && batchClasses != classes)
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"The model gives {batchClasses} classes on batch {index} but {classes} before."), nameof(model));
                }

                classes = batchClasses;
                if (block is not null)
                {
                    blocks.Add(block);
                }

                labels.Add(rowLabels);
                batchRows.Add(rowLabels.shape[0]);
                index++;
                samples += batch.Count;
                progress?.Report(new EstimationProgress(index, samples));
            }

            if (labels.Count == 0)
            {
                throw new ArgumentException("Policy search needs labelled validation data; validation has no batches.", nameof(validation));
            }

            var y = labels.Count == 1 ? labels[0] : torch.cat(labels, 0);
            Tensor cache;
            if (spill is null)
            {
                cache = blocks.Count == 1 ? blocks[0] : torch.cat(blocks, 1);
            }
            else
            {
                path = Path.ChangeExtension(spillPath!, ".cache");
                if (batchRows.Count > 1)
                {
                    Reorder(spill, path, batchRows, pool.Count, classes * ElementSize(options.Precision), cancellationToken);
                }

                spill.Dispose();
                spill = null;
                if (batchRows.Count > 1)
                {
                    File.Delete(spillPath!);
                }
                else
                {
                    // One batch: the spill file is already (K, N, C).
                    File.Move(spillPath!, path);
                }
                var rows = y.shape[0];
                cache = torch.from_file(path, shared: false, size: pool.Count * rows * classes, dtype: options.Precision).view(pool.Count, rows, classes);
            }

            var result = new CandidateCache(cache.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope(), path);
            built = true;
            return result;
        }
        finally
        {
            spill?.Dispose();
            if (!built)
            {
                DeleteIfPresent(spillPath);
                DeleteIfPresent(path);
            }
        }
    }

    /// <summary>Disposes the cached tensors and deletes the file of a disk-backed cache; later calls do nothing.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        logProbabilities.Dispose();
        labels.Dispose();
        DeleteIfPresent(filePath);
    }

    /// <summary>
    /// Joins caches built on consecutive shards of the validation cases (see <see cref="Sharding.ShardSpec"/>) into the cache of the whole
    /// validation set: rows are concatenated in the order of <paramref name="shards"/>, so shards given in case order give exactly the
    /// single-process cache.
    /// </summary>
    /// <param name="shards">The shards' caches, one or more, in case order, built with the same pool and precision; not disposed.</param>
    /// <param name="progress">Receives the shards joined (as batches) and their rows; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between shards.</param>
    /// <returns>The merged cache, in memory (K × N × C elements); the caller disposes it.</returns>
    /// <remarks>
    /// Each cached row depends only on its case (and, for segmentation, on the pixels drawn for it), so the split is exact for classification.
    /// Dense caches that sub-sample pixels draw them with the seed <see cref="CandidateCacheOptions.Seed"/> + batch index: a shard whose first
    /// batch is batch b of the single-process pass builds with <c>Seed + b</c> (and the same batch size) to draw the same pixels.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="shards"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="shards"/> is empty, or its caches differ in candidates, classes or precision.</exception>
    /// <exception cref="ObjectDisposedException">A cache has been disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static CandidateCache Merge(IReadOnlyList<CandidateCache> shards, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Preconditions.NotNull(shards, nameof(shards));
        if (shards.Count == 0)
        {
            throw new ArgumentException("shards must hold at least one cache; found none.", nameof(shards));
        }

        var parts = new Tensor[shards.Count];
        var labelParts = new Tensor[shards.Count];
        var rows = 0L;
        for (var i = 0; i < shards.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var shard = shards[i] ?? throw new ArgumentNullException(nameof(shards), string.Create(CultureInfo.InvariantCulture, $"shards[{i}] is null."));
            ObjectDisposedException.ThrowIf(shard.disposed, shard);
            var first = shards[0];
            if (shard.Candidates != first.Candidates || shard.Classes != first.Classes || shard.logProbabilities.dtype != first.logProbabilities.dtype)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"Every cache must come from one pool, model and precision; shards[0] has {first.Candidates} candidates, {first.Classes} classes and {first.logProbabilities.dtype}, shards[{i}] has {shard.Candidates}, {shard.Classes} and {shard.logProbabilities.dtype}."),
                    nameof(shards));
            }

            parts[i] = shard.logProbabilities;
            labelParts[i] = shard.labels;
            rows += shard.Rows;
            progress?.Report(new EstimationProgress(i + 1, rows));
        }

        using var scope = torch.NewDisposeScope();
        var merged = torch.cat(parts, 1);
        var labels = torch.cat(labelParts, 0);
        return new CandidateCache(merged.DetachFromDisposeScope(), labels.DetachFromDisposeScope(), null);
    }

    /// <summary>Loads a cache saved by <see cref="Save"/>, into memory.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The cache; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved candidate cache, or is truncated, corrupt (checksum), of a newer version, or its fields are inconsistent; nothing is left allocated.</exception>
    public static CandidateCache Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var precision = reader.Enum<ScalarType>("precision");
            if (precision is not (ScalarType.Float32 or ScalarType.Float16))
            {
                throw reader.Invalid($"its precision {precision} is not Float32 or Float16");
            }

            var log = reader.Tensor("logProbabilities", 3, precision);
            var labels = reader.Tensor("labels", 1, ScalarType.Int64);
            if (log.shape[0] < 1 || log.shape[1] < 1 || log.shape[2] < 1 || labels.shape[0] != log.shape[1])
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"its log-probabilities {Preconditions.ShapeText(log)} and labels {Preconditions.ShapeText(labels)} do not describe K × N × C values for N labels"));
            }

            using (var scope = torch.NewDisposeScope())
            {
                if (labels.lt(0).any().item<bool>() || labels.ge(log.shape[2]).any().item<bool>())
                {
                    throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"its labels must lie in [0, {log.shape[2] - 1}]"));
                }
            }

            return new CandidateCache(log, labels, null);
        });
    }

    /// <summary>Saves the cache (a shard's partial state) to a file in the library's envelope, atomically (see <see cref="Load"/>).</summary>
    /// <param name="path">The file; replaced if it exists, and left unchanged if writing fails.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is then left unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The cache has been disposed.</exception>
    public void Save(string path)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Enum("precision", logProbabilities.dtype);
            writer.Tensor("logProbabilities", logProbabilities);
            writer.Tensor("labels", labels);
        });
    }

    /// <summary>Returns a summary like <c>CandidateCache(K=200, N=5000, C=10, Float32)</c>.</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        return disposed
            ? "CandidateCache(disposed)"
            : string.Create(CultureInfo.InvariantCulture,
                $"CandidateCache(K={logProbabilities.shape[0]}, N={logProbabilities.shape[1]}, C={logProbabilities.shape[2]}, {logProbabilities.dtype})");
    }

    /// <summary>
    /// One batch: (K, rows, C) log-probabilities in the cache's precision on the CPU (or, with a spill file, each candidate's (rows, C) appended
    /// to it as soon as computed and no block), the rows' labels and the number of classes.
    /// </summary>
    private static (Tensor? Block, Tensor Labels, long Classes) BuildBatch(IModel model, Batch batch, int index, CandidatePool pool,
        CandidateCacheOptions options, FileStream? spill, CancellationToken cancellationToken)
    {
        var inputs = batch.Inputs;
        var n = inputs.shape[0];
        var rows = spill is null ? new Tensor[pool.Count] : null;
        long[]? rowShape = null;
        Tensor? pixels = null;
        Tensor? y = null;
        for (var k = 0; k < pool.Count; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var augmentation = pool[k].Augmentation;
            using var candidateScope = torch.NewDisposeScope();
            var augmented = augmentation.Apply(inputs);
            using var output = model.Forward(augmented);
            var probabilities = VariabilityEstimates.ToAccumulated(output.Logits, model.OutputKind, "output");
            var dense = probabilities.dim() == inputs.dim();
            if (!dense && probabilities.dim() != 2)
            {
                throw new ArgumentException(
                    $"The model's output must be (N, C) or dense (N, C, spatial…) like the inputs {Preconditions.ShapeText(inputs)}; found {Preconditions.ShapeText(output.Logits)}.",
                    nameof(model));
            }

            if (!dense && !augmented.shape.AsSpan().SequenceEqual(inputs.shape))
            {
                throw new ArgumentException(
                    $"{augmentation.Name} changes the input shape from {Preconditions.ShapeText(inputs)} to {Preconditions.ShapeText(augmented)}; only models with dense outputs (segmentation) accept that, because their outputs are mapped back.",
                    nameof(pool));
            }

            if (dense && augmentation.IsGeometric)
            {
                probabilities = augmentation.Invert(probabilities);
            }

            var log = probabilities.to(ScalarType.Float32).clamp_min(torch.finfo(ScalarType.Float32).tiny).log_();
            if (dense)
            {
                var flat = log.flatten(2);
                if (pixels is null)
                {
                    var labels = CalibratedOutputs.Labels(batch, index, n * flat.shape[2], "Policy search").view(n, -1);
                    pixels = DrawPixels(n, flat.shape[2], options, index).MoveToOuterDisposeScope();
                    y = labels.gather(1, pixels).flatten().MoveToOuterDisposeScope();
                }

                var at = pixels.to(flat.device).unsqueeze(1).expand(n, flat.shape[1], pixels.shape[1]);
                log = flat.gather(2, at).transpose(1, 2).reshape(-1, flat.shape[1]);
            }
            else if (y is null)
            {
                y = CalibratedOutputs.Labels(batch, index, n, "Policy search").MoveToOuterDisposeScope();
            }

            var row = log.to(options.Precision).cpu().contiguous();
            if (rowShape is not null && !row.shape.AsSpan().SequenceEqual(rowShape))
            {
                throw new ArgumentException(
                    $"The model's output under {augmentation.Name} gives {Preconditions.ShapeText(row)} log-probabilities on batch {index} but ({string.Join(", ", rowShape)}) under the first candidate.",
                    nameof(model));
            }

            rowShape = row.shape;
            if (rows is null)
            {
                spill!.Write(row.bytes);
            }
            else
            {
                rows[k] = row.MoveToOuterDisposeScope();
            }
        }

        pixels?.Dispose();
        Tensor? block = null;
        if (rows is not null)
        {
            block = torch.stack(rows);
            foreach (var row in rows)
            {
                row.Dispose();
            }
        }

        Preconditions.Labels(y!, "labels", rowShape![1]);
        return (block, y!.to(ScalarType.Int64), rowShape[1]);
    }

    /// <summary>
    /// Rewrites the spill file, laid out batch by batch as (K, rows_b, C), into the cache file laid out as (K, N, C), one candidate's block of
    /// one batch at a time.
    /// </summary>
    private static void Reorder(FileStream spill, string path, List<long> batchRows, int candidates, long rowBytes, CancellationToken cancellationToken)
    {
        spill.Flush();
        using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        var largest = 0L;
        foreach (var rows in batchRows)
        {
            largest = Math.Max(largest, rows * rowBytes);
        }

        var buffer = new byte[largest];
        for (var k = 0; k < candidates; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long batchStart = 0;
            foreach (var rows in batchRows)
            {
                var length = (int)(rows * rowBytes);
                var offset = batchStart + (k * (long)length);
                for (var read = 0; read < length;)
                {
                    var got = RandomAccess.Read(spill.SafeFileHandle, buffer.AsSpan(read, length - read), offset + read);
                    if (got == 0)
                    {
                        throw new IOException(string.Create(CultureInfo.InvariantCulture, $"The cache spill file {spill.Name} ended at byte {offset + read}; expected {length - read} more bytes."));
                    }

                    read += got;
                }

                target.Write(buffer, 0, length);
                batchStart += candidates * (long)length;
            }
        }
    }

    private static long ElementSize(ScalarType precision) => precision == ScalarType.Float16 ? 2 : 4;

    private static void DeleteIfPresent(string? path)
    {
        if (path is not null && File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>The same seeded pixels for every candidate: per image, <see cref="CandidateCacheOptions.PixelsPerImage"/> distinct indices (all when fewer), <c>(n, P)</c>.</summary>
    private static Tensor DrawPixels(long n, long size, CandidateCacheOptions options, int index)
    {
        if (options.PixelsPerImage >= size)
        {
            return torch.arange(size).unsqueeze(0).expand(n, size).contiguous();
        }

        var generator = new torch.Generator((ulong)(options.Seed + index));
        return torch.rand(new[] { n, size }, generator: generator).argsort(1).narrow(1, 0, options.PixelsPerImage).contiguous();
    }
}
