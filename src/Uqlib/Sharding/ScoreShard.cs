using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Sharding;

/// <summary>
/// The per-case outputs of one shard of a pass (scores <c>(N)</c>, probabilities <c>(N, C)</c>, any rows of one shape) with the explicit index
/// of each case in the whole data set, so that shards gathered in any order merge into the single-process order. Immutable: it hands out
/// only copies; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// <para>Every per-case output of the library is a function of that case alone (softmax scores, ensemble and TTA scores of each case,
/// latent scores against a fixed fit), so a pass split by cases is exact: <see cref="Merge"/> only places each shard's rows at their case
/// indices, checking that no case is given twice and, when the total is known, that none is missing. Values are float32, float64 or int64
/// (the types the saved-file envelope stores). Thread-safe for reading.</para>
/// </remarks>
public sealed class ScoreShard : IDisposable
{
    private const string Kind = "ScoreShard";
    private const int Version = 1;
    private readonly Tensor cases;
    private readonly Tensor values;
    private bool disposed;

    private ScoreShard(Tensor cases, Tensor values)
    {
        this.cases = cases;
        this.values = values;
    }

    /// <summary>Gets the number of cases N in the shard.</summary>
    /// <exception cref="ObjectDisposedException">The shard has been disposed.</exception>
    public long Cases
    {
        get
        {
            ThrowIfDisposed();
            return cases.shape[0];
        }
    }

    /// <summary>Gets a copy of the case indices <c>(N)</c>, int64, in the order of the rows; the caller disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The shard has been disposed.</exception>
    public Tensor CaseIndices
    {
        get
        {
            ThrowIfDisposed();
            return cases.clone();
        }
    }

    /// <summary>Gets a copy of the values <c>(N, …)</c>, row i belonging to case <c>CaseIndices[i]</c>, on the CPU; the caller disposes it.</summary>
    /// <exception cref="ObjectDisposedException">The shard has been disposed.</exception>
    public Tensor Values
    {
        get
        {
            ThrowIfDisposed();
            return values.clone();
        }
    }

    /// <summary>Makes a shard of the consecutive cases from <paramref name="firstCase"/> (a shard of <see cref="ShardSpec"/> blocks).</summary>
    /// <param name="values">The outputs <c>(N, …)</c>, float32, float64 or int64, finite; copied to the CPU, not disposed.</param>
    /// <param name="firstCase">The index of the first row's case in the whole data set, at least 0.</param>
    /// <returns>The shard; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty, of rank 0, of another element type or not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="firstCase"/> is negative.</exception>
    public static ScoreShard Create(Tensor values, long firstCase)
    {
        CheckValues(values);
        if (firstCase < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(firstCase), firstCase, string.Create(CultureInfo.InvariantCulture, $"firstCase must be at least 0; found {firstCase}."));
        }

        using var scope = torch.NewDisposeScope();
        var indices = torch.arange(firstCase, firstCase + values.shape[0], dtype: ScalarType.Int64);
        return new ScoreShard(indices.DetachFromDisposeScope(), values.detach().cpu().clone().DetachFromDisposeScope());
    }

    /// <summary>Makes a shard of the cases named by <paramref name="caseIndices"/>, in any order.</summary>
    /// <param name="values">The outputs <c>(N, …)</c>, float32, float64 or int64, finite; copied to the CPU, not disposed.</param>
    /// <param name="caseIndices">The case index of each row <c>(N)</c>, integer, distinct, at least 0; not disposed.</param>
    /// <returns>The shard; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> or <paramref name="caseIndices"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A tensor is empty or of the wrong rank or type; the lengths differ; the values are not finite; an index is negative or repeated.</exception>
    public static ScoreShard Create(Tensor values, Tensor caseIndices)
    {
        CheckValues(values);
        Preconditions.Tensor(caseIndices, nameof(caseIndices), 1, 1);
        if (caseIndices.is_floating_point() || caseIndices.dtype == ScalarType.Bool)
        {
            throw new ArgumentException($"caseIndices must be integer; found {caseIndices.dtype}.", nameof(caseIndices));
        }

        Preconditions.SameLength(values, nameof(values), caseIndices, nameof(caseIndices));
        using var scope = torch.NewDisposeScope();
        var indices = caseIndices.detach().to(ScalarType.Int64).cpu().clone();
        CheckDistinct(indices, nameof(caseIndices));
        return new ScoreShard(indices.DetachFromDisposeScope(), values.detach().cpu().clone().DetachFromDisposeScope());
    }

    /// <summary>Gathers the shards of one pass into one, its rows sorted by case index (the single-process order).</summary>
    /// <param name="shards">The shards, one or more, in any order, with values of one element type and row shape; not disposed.</param>
    /// <param name="totalCases">The number of cases of the whole pass, so that the merge checks the cases are exactly 0 to <paramref name="totalCases"/> − 1;
    /// or <see langword="null"/> to accept any distinct indices.</param>
    /// <param name="progress">Receives the shards gathered (as batches) and their cases; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between shards.</param>
    /// <returns>The merged shard; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shards"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="shards"/> is empty; the shards differ in element type or row shape; a case is in two shards; a case of 0 to <paramref name="totalCases"/> − 1 is missing or one lies outside.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalCases"/> is below 1.</exception>
    /// <exception cref="ObjectDisposedException">A shard has been disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ScoreShard Merge(IReadOnlyList<ScoreShard> shards, long? totalCases = null,
        IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        Preconditions.NotNull(shards, nameof(shards));
        if (shards.Count == 0)
        {
            throw new ArgumentException("shards must hold at least one shard; found none.", nameof(shards));
        }

        if (totalCases is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(totalCases), totalCases, string.Create(CultureInfo.InvariantCulture, $"totalCases must be at least 1; found {totalCases}."));
        }

        var first = shards[0] ?? throw new ArgumentNullException(nameof(shards), "shards[0] is null.");
        first.ThrowIfDisposed();
        using var scope = torch.NewDisposeScope();
        var indexParts = new Tensor[shards.Count];
        var valueParts = new Tensor[shards.Count];
        var gathered = 0L;
        for (var i = 0; i < shards.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var shard = shards[i] ?? throw new ArgumentNullException(nameof(shards), string.Create(CultureInfo.InvariantCulture, $"shards[{i}] is null."));
            shard.ThrowIfDisposed();
            if (shard.values.dtype != first.values.dtype || !shard.values.shape.AsSpan(1).SequenceEqual(first.values.shape.AsSpan(1)))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"Every shard must hold rows of one shape and type; shards[0] holds {first.values.dtype} {Preconditions.ShapeText(first.values)}, shards[{i}] holds {shard.values.dtype} {Preconditions.ShapeText(shard.values)}."),
                    nameof(shards));
            }

            indexParts[i] = shard.cases;
            valueParts[i] = shard.values;
            gathered += shard.cases.shape[0];
            progress?.Report(new EstimationProgress(i + 1, gathered));
        }

        var indices = torch.cat(indexParts, 0);
        var (sorted, order) = indices.sort(stable: true);
        CheckDistinct(sorted, nameof(shards), alreadySorted: true);
        if (totalCases is { } total)
        {
            var expected = torch.arange(Math.Min(total, sorted.shape[0]), dtype: ScalarType.Int64);
            if (sorted.shape[0] != total || !sorted.eq(expected).all().item<bool>())
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture,
                        $"The shards must cover the cases 0 to {total - 1} exactly once; they hold {sorted.shape[0]} distinct cases from {sorted[0].item<long>()} to {sorted[-1].item<long>()}."),
                    nameof(shards));
            }
        }

        var merged = torch.cat(valueParts, 0).index_select(0, order);
        return new ScoreShard(sorted.DetachFromDisposeScope(), merged.DetachFromDisposeScope());
    }

    /// <summary>Loads a shard saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The shard; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved score shard, or is truncated, corrupt (checksum), of a newer version, or its fields are inconsistent (lengths, repeated or negative cases); nothing is left allocated.</exception>
    public static ScoreShard Load(string path)
    {
        return FittedFile.Load(path, Kind, Version, reader =>
        {
            var rank = reader.Int32("rank");
            var dtype = reader.Enum<ScalarType>("dtype");
            if (rank < 1 || rank > 8 || dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Int64))
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"values of rank {rank} and type {dtype} are not supported"));
            }

            var indices = reader.Tensor("caseIndices", 1, ScalarType.Int64);
            var values = reader.Tensor("values", rank, dtype);
            if (indices.shape[0] != values.shape[0] || indices.shape[0] < 1)
            {
                throw reader.Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"it holds {indices.shape[0]} case indices for {values.shape[0]} rows"));
            }

            using (var scope = torch.NewDisposeScope())
            {
                CheckDistinct(indices, "caseIndices");
            }

            return new ScoreShard(indices, values);
        });
    }

    /// <summary>Saves the shard to a file in the library's envelope, atomically (see <see cref="Load"/>).</summary>
    /// <param name="path">The file; replaced if it exists, and left unchanged if writing fails.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is then left unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The shard has been disposed.</exception>
    public void Save(string path)
    {
        ThrowIfDisposed();
        FittedFile.Save(path, Kind, Version, writer =>
        {
            writer.Number("rank", values.dim());
            writer.Enum("dtype", values.dtype);
            writer.Tensor("caseIndices", cases);
            writer.Tensor("values", values);
        });
    }

    /// <summary>Returns a summary like <c>ScoreShard(n=250000, cases 0..249999, Float64 (250000))</c>.</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        if (disposed)
        {
            return "ScoreShard(disposed)";
        }

        using var scope = torch.NewDisposeScope();
        return string.Create(CultureInfo.InvariantCulture,
            $"ScoreShard(n={cases.shape[0]}, cases {cases.min().item<long>()}..{cases.max().item<long>()}, {values.dtype} {Preconditions.ShapeText(values)})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        cases.Dispose();
        values.Dispose();
    }

    private static void CheckValues(Tensor values)
    {
        Preconditions.Tensor(values, nameof(values), 1, 8);
        if (values.dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Int64))
        {
            throw new ArgumentException($"values must be float32, float64 or int64; found {values.dtype}.", nameof(values));
        }

        if (values.is_floating_point())
        {
            Preconditions.Finite(values, nameof(values));
        }
    }

    /// <summary>Throws when an index is negative or appears twice.</summary>
    private static void CheckDistinct(Tensor indices, string name, bool alreadySorted = false)
    {
        var sorted = alreadySorted ? indices : indices.sort().Values;
        if (sorted[0].item<long>() < 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} must hold case indices of at least 0; found {sorted[0].item<long>()}."), name);
        }

        if (sorted.shape[0] > 1)
        {
            var repeated = sorted.narrow(0, 1, sorted.shape[0] - 1).eq(sorted.narrow(0, 0, sorted.shape[0] - 1)).nonzero();
            if (repeated.shape[0] > 0)
            {
                var at = repeated[0, 0].item<long>();
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{name} must name each case once; case {sorted[at].item<long>()} appears more than once."), name);
            }
        }
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }
}
