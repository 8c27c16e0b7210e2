using System;
using System.Globalization;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
using Uqlib.Persistence;

namespace Uqlib.Latent;

/// <summary>A bank of L2-normalised training features, scoring a sample by the distance of its normalised feature to the k-th nearest one. Immutable: it owns its bank and hands out only copies; every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
/// <remarks>
/// <para>
/// Sun et al. 2022, "Out-of-distribution detection with deep nearest neighbors": score(x) = |z − z_(k)| with z = x/|x| and z_(k) the
/// k-th nearest normalised training feature (a zero feature stays zero, as scikit-learn's <c>normalize</c> leaves it).
/// </para>
/// <para>
/// Two stages, so that the distances are exact in float64 at the speed of a float32 matrix product: (1) candidates — a chunked
/// float32 product of the queries with a float32 copy of the bank and a running top-c of the similarities z·b, c = k + max(8, k/4)
/// (at most the bank size), holding at most <see cref="KnnOptions.ChunkElements"/> similarities (or 256 × c, if more) at a time (on
/// the CPU, tiles of 1,024 queries × 1,024 bank rows, each tile's top c selected while it is still in cache);
/// (2) refinement — with δ = (F + 2)·2⁻²⁴ the rounding bound of a float32 dot product of unit vectors, a candidate whose similarity
/// is more than 2δ above the k-th is certainly among the k nearest and one more than 2δ below certainly not, so only the candidates
/// in that band (usually the k-th alone) get their distances |z − b| computed exactly, as float64 differences of the float64
/// normalised query and bank rows, and the k-th distance is read from them. A query whose band reaches the c-th candidate (more than
/// c − k bank features tied with its k-th neighbour to within 2δ) is scored exactly against the whole bank in float64 instead. The result equals scikit-learn's float64 <c>NearestNeighbors</c> on normalised features
/// to rounding (golden-tested to 1e-9 relative, near-duplicate neighbours included).
/// </para>
/// <para>
/// The bank is kept in float64 (the distances) and float32 (the product). With <see cref="KnnOptions.BankSize"/> it is a uniform
/// sample without replacement, drawn in a streaming way that does not depend on how the training set was batched. Higher is more
/// uncertain. Thread-safe for reading.
/// </para>
/// </remarks>
public sealed class KnnDetector : IDisposable, ILatentDetector
{
    private const string Kind = "KnnDetector";
    private const int Version = 2;
    private readonly Tensor bank;        // (M, F) float64, unit or zero rows
    private readonly Tensor bank32;      // the same, float32, for the candidate product
    private readonly Tensor? zeroRows;   // (M) float32: 0.5 for a zero row, else 0 (null when there is none), see Search
    private readonly int k;
    private readonly long chunkElements;
    private bool disposed;

    private KnnDetector(Tensor bank, int k, long chunkElements)
    {
        using (var scope = torch.NewDisposeScope())
        {
            bank32 = bank.to(ScalarType.Float32).DetachFromDisposeScope();
            var zero = bank.norm(1).eq(0.0);
            zeroRows = zero.any().ToBoolean() ? zero.to(ScalarType.Float32).mul_(0.5f).DetachFromDisposeScope() : null;
        }

        this.bank = bank;
        this.k = k;
        this.chunkElements = chunkElements;
    }

    /// <summary>Gets a copy of the bank of normalised training features <c>(M, F)</c>, float64; the caller owns and disposes it (editing it leaves the detector unchanged).</summary>
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
    /// <param name="progress">Receives one report with every training sample when the bank is built; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the fit before it starts.</param>
    /// <returns>The fitted detector; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="features"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The features are empty, not of rank 2 or not finite; fewer than k features would be kept; an option is out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static KnnDetector Fit(
        Tensor features, KnnOptions? options = null, IProgress<EstimationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= KnnOptions.Default;
        options.Validate();
        Preconditions.Tensor(features, nameof(features), 2, 2);
        Preconditions.Finite(features, nameof(features));
        using var builder = new KnnBankBuilder(options);
        builder.Add(Normalise(features));

        return EstimationProgress.Completed(progress, features.shape[0], FromBuilder(builder, options));
    }

    /// <summary>Loads a detector saved by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detector, giving identical scores; the caller disposes it.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a saved kNN detector, or is truncated, corrupt (checksum), of a newer version or saved by Uqlib 0.1; nothing is left allocated.</exception>
    public static KnnDetector Load(string path)
    {
        // Version 1 kept a float32 bank; its rows are widened as they are.
        return FittedFile.Load(path, Kind, Version, reader => Read(reader, reader.Version == 1 ? ScalarType.Float32 : ScalarType.Float64));
    }

    /// <summary>The score: the Euclidean distance of each normalised feature to its k-th nearest bank feature.</summary>
    /// <param name="features">Features <c>(N, F)</c>, finite; not disposed.</param>
    /// <returns>Distances <c>(N)</c> in [0, 2], float64, exact to rounding (see the remarks); higher is more uncertain.</returns>
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
        return OutputDtype.PerCase(ScoreCore(features));
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
        FittedFile.Save(path, Kind, Version, Write);
    }

    /// <summary>Describes the detector as scikit-learn's repr would, e.g. <c>KnnDetector(k=50, bank=50000, dimension=512)</c>.</summary>
    /// <returns>The description, or <c>KnnDetector(disposed)</c> after <see cref="Dispose"/>.</returns>
    public override string ToString()
    {
        if (disposed)
        {
            return "KnnDetector(disposed)";
        }

        return string.Create(CultureInfo.InvariantCulture, $"KnnDetector(k={k}, bank={BankSize}, dimension={Dimension})");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        disposed = true;
        bank.Dispose();
        bank32.Dispose();
        zeroRows?.Dispose();
    }

    /// <summary>Normalises rows to unit length in float64 (a zero row stays zero, as scikit-learn's <c>normalize</c> leaves it), as a new tensor; one float64 copy, no other temporary of its size.</summary>
    internal static Tensor Normalise(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        var x = features.dtype == ScalarType.Float64 ? features.clone() : features.to(ScalarType.Float64);
        var norms = x.norm(1, keepdim: true);
        return x.div_(norms.masked_fill_(norms.eq(0.0), 1.0)).MoveToOuterDisposeScope();
    }

    private static Tensor Widen(Tensor stored)
    {
        using (stored)
        {
            return stored.to(ScalarType.Float64);
        }
    }

    /// <summary>Reads a detector's fields (see <see cref="Write"/>), the bank stored in <paramref name="bankDtype"/>; the tensors read are the reader's until the detector owns them.</summary>
    internal static KnnDetector Read(FittedReader reader, ScalarType bankDtype)
    {
        var k = reader.Int32("k");
        var chunk = reader.Int64("chunkElements");
        var stored = reader.Tensor("bank", 2, bankDtype);
        if (k < 1 || k > stored.shape[0] || chunk < 1)
        {
            throw reader.Invalid(string.Create(CultureInfo.InvariantCulture, $"k = {k} and chunkElements = {chunk} do not suit a bank of {stored.shape[0]} features"));
        }

        return new KnnDetector(stored.dtype == ScalarType.Float64 ? stored : Widen(stored), k, chunk);
    }

    /// <summary>Writes the detector's fields: k, the chunk and the float64 bank.</summary>
    internal void Write(FittedWriter writer)
    {
        writer.Number("k", k);
        writer.Number("chunkElements", chunkElements);
        writer.Tensor("bank", bank);
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
        var scores = torch.empty(features.shape[0], 1, ScalarType.Float64, bank.device);
        Search(features, scores, null, null, CancellationToken.None);
        return scores.squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The k nearest bank rows of each query, for <see cref="KnnTopK"/>: their exact float64 distances <c>(N, k)</c>, ascending, each
    /// computed as <see cref="Score"/> computes the k-th (so the k-th equals the score bit for bit), and their bank row indexes <c>(N, k)</c>.
    /// Among exactly tied distances the indexes kept are unspecified. Inputs are validated by the caller.
    /// </summary>
    internal (Tensor Distances, Tensor Indexes) Nearest(Tensor features, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        using var scope = torch.NewDisposeScope();
        var distances = torch.empty(features.shape[0], k, ScalarType.Float64, bank.device);
        var indexes = torch.empty(features.shape[0], k, ScalarType.Int64, bank.device);
        Search(features, distances, indexes, progress, cancellationToken);
        return (distances.MoveToOuterDisposeScope(), indexes.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The search behind <see cref="ScoreCore"/> and <see cref="Nearest"/>: float32 candidates by <see cref="TopSimilarities"/>, refined in
    /// float64. With <paramref name="indexes"/> <see langword="null"/> it writes each query's k-th distance into <paramref name="distances"/>
    /// <c>(N, 1)</c>; otherwise its k nearest distances (ascending) and rows into <paramref name="distances"/> and <paramref name="indexes"/> <c>(N, k)</c>.
    /// </summary>
    private void Search(Tensor features, Tensor distances, Tensor? indexes, IProgress<EstimationProgress>? progress, CancellationToken cancellationToken)
    {
        var n = features.shape[0];
        var m = bank.shape[0];
        var candidates = (int)Math.Min(m, k + Math.Max(8L, k / 4));
        var fused = TopSimilarities.IsFused(bank32);
        var queryChunk = TopSimilarities.QueryChunk(n, m, chunkElements, fused);
        var bankChunk = TopSimilarities.BankChunk(queryChunk, m, candidates, chunkElements, fused);
        var slack = 2.0 * (bank.shape[1] + 4) * Math.Pow(2.0, -24);   // 2δ: twice the float32 dot-product rounding bound, and the key's own rounding
        var chunks = 0;
        for (long start = 0; start < n; start += queryChunk)
        {
            // Each chunk's similarities die with its scope: only the running top c of the query chunk (keys and bank rows) is kept.
            cancellationToken.ThrowIfCancellationRequested();
            using var chunkScope = torch.NewDisposeScope();
            var rows = Math.Min(queryChunk, n - start);
            var block = Normalise(features.narrow(0, start, rows).to(bank.device));
            // Keys z·b (minus ½ for a zero row's |b|² − 1, see zeroRows): ranking by 2z·b − |b|² is ranking by distance.
            var (keys, positions) = TopSimilarities.OfBlock(block.to(ScalarType.Float32), bank32, candidates, bankChunk, zeroRows);
            var (sorted, order) = keys.sort(1, descending: true);
            var chunkDistances = distances.narrow(0, start, rows);
            var chunkIndexes = indexes?.narrow(0, start, rows);
            var uncertain = Refine(block, sorted, positions.gather(1, order), slack, chunkDistances, chunkIndexes);
            if (uncertain.shape[0] > 0)
            {
                ScoreExactly(block, uncertain, chunkDistances, chunkIndexes);
            }

            progress?.Report(new EstimationProgress(++chunks, start + rows) { TotalSamples = n });
        }
    }

    /// <summary>
    /// Measures each query's sorted candidates: those more than 2δ above the k-th key are certainly among the k nearest and those
    /// more than 2δ below certainly not, so only the band between is measured exactly (float64 differences), usually the k-th alone;
    /// when <paramref name="indexes"/> are wanted the band starts at the first candidate, so that all k nearest are measured and ranked.
    /// Returns the queries whose band reaches the last candidate (a true neighbour may lie beyond it), left for <see cref="ScoreExactly"/>.
    /// </summary>
    private Tensor Refine(Tensor block, Tensor keys, Tensor rowsOfKeys, double slack, Tensor distances, Tensor? indexes)
    {
        var candidates = keys.shape[1];
        var kth = keys.narrow(1, k - 1, 1);
        var above = indexes is null                                               // a: the band starts at column a ≤ k − 1
            ? keys.gt(kth.add(slack)).sum(new long[] { 1 })
            : torch.zeros(keys.shape[0], ScalarType.Int64, keys.device);
        var through = keys.ge(kth.sub(slack)).sum(new long[] { 1 });            // b + 1: the band ends at column b ≥ k − 1
        var widths = through.sub(above);
        var rank = above.neg().add_(k - 1).unsqueeze(1);                          // the k-th nearest is the (k − a)-th of the band
        var count = block.shape[0];
        var width = widths.max().ToInt64();
        var offsets = torch.arange(width, dtype: ScalarType.Int64, device: keys.device).unsqueeze(0);
        var step = Math.Max(1L, chunkElements / 2 / (width * bank.shape[1]));  // at most ChunkElements / 2 float64 numbers gathered at once
        for (long from = 0; from < count; from += step)
        {
            using var stepScope = torch.NewDisposeScope();
            var size = Math.Min(step, count - from);
            var columns = above.narrow(0, from, size).unsqueeze(1).add(offsets).clamp_max_(candidates - 1);
            var rows = rowsOfKeys.narrow(0, from, size).gather(1, columns);
            var nearest = bank.index_select(0, rows.flatten()).view(size, width, -1);
            var (measured, order) = nearest.sub_(block.narrow(0, from, size).unsqueeze(1)).pow_(2).sum(new long[] { 2 }).sqrt_()
                .masked_fill_(offsets.ge(widths.narrow(0, from, size).unsqueeze(1)), double.PositiveInfinity)
                .sort(1);
            if (indexes is null)
            {
                distances.narrow(0, from, size).copy_(measured.gather(1, rank.narrow(0, from, size)));
            }
            else
            {
                distances.narrow(0, from, size).copy_(measured.narrow(1, 0, k));
                indexes.narrow(0, from, size).copy_(rows.gather(1, order.narrow(1, 0, k)));
            }
        }

        return candidates < bank.shape[0] ? through.eq(candidates).nonzero().squeeze(1) : torch.empty(0, ScalarType.Int64, keys.device);
    }

    /// <summary>Measures the queries <paramref name="uncertain"/> of <paramref name="block"/> exactly against every bank row (float64, a bank chunk at a time) and writes their k-th distance, or their k nearest distances and rows, as <see cref="Refine"/> does.</summary>
    private void ScoreExactly(Tensor block, Tensor uncertain, Tensor distances, Tensor? indexes)
    {
        var m = bank.shape[0];
        var bankChunk = Math.Max(k, chunkElements / 2 / bank.shape[1]);
        foreach (var row in uncertain.cpu().data<long>().ToArray())
        {
            using var rowScope = torch.NewDisposeScope();
            var z = block.narrow(0, row, 1);
            var all = torch.empty(1, m, ScalarType.Float64, bank.device);
            for (long from = 0; from < m; from += bankChunk)
            {
                using var stepScope = torch.NewDisposeScope();
                var size = Math.Min(bankChunk, m - from);
                all.narrow(1, from, size).copy_(bank.narrow(0, from, size).sub(z).pow_(2).sum(new long[] { 1 }).sqrt_().unsqueeze(0));
            }

            var (nearest, rows) = all.topk(k, 1, largest: false, sorted: true);
            if (indexes is null)
            {
                distances.narrow(0, row, 1).copy_(nearest.narrow(1, k - 1, 1));
            }
            else
            {
                distances.narrow(0, row, 1).copy_(nearest);
                indexes.narrow(0, row, 1).copy_(rows);
            }
        }
    }

    private void ThrowIfDisposed()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
    }
}
