using System;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The one chunked matrix product with a running top-k of the project: the k largest inner products of queries with the rows of a bank, for <see cref="KnnDetector"/> (and so <see cref="KnnTopK"/>) and <see cref="NnGuideDetector"/>.</summary>
/// <remarks>
/// <para>
/// On the CPU in float32 (both callers), the product is tiled to stay in cache and the selection is fused with it: a query chunk of
/// <see cref="FusedRows"/> rows (256 when <c>chunkElements</c> is below 2²⁰) is multiplied with <see cref="FusedColumns"/> bank rows at a
/// time into one reused buffer (the GEMM runs fastest on tiles of this size: no fresh output pages to fault in, each packed bank tile serves
/// 1,024 queries, and the 4 MiB tile is still in cache when it is read), and each query's running top k is a min-heap in managed memory that a tile row is compared with four vectors of
/// similarities at a time against the heap's smallest: almost every similarity is rejected by that one comparison, so the
/// selection costs a read of the tile. Elsewhere (CUDA, other dtypes) a query chunk of at least 256 rows is multiplied with bank chunks of
/// at least k rows and merged with <c>topk</c>. Either way at most max(chunkElements, 256 × k) similarities are held at once.
/// </para>
/// <para>
/// The products are in the dtype of the inputs (float32 for both callers: <see cref="KnnDetector"/> refines its candidates in float64
/// afterwards, NNGuide keeps float32 similarities as the paper's faiss index does). Inputs are trusted (validated by the caller, on one
/// device, of one dtype) and never disposed.
/// </para>
/// </remarks>
internal static class TopSimilarities
{
    /// <summary>The query rows of a fused tile when <c>chunkElements</c> allows <see cref="FusedRows"/> × <see cref="FusedColumns"/> similarities.</summary>
    public const long FusedRows = 1024;

    /// <summary>The bank rows of a fused tile (at least k).</summary>
    public const long FusedColumns = 1024;

    /// <summary>Whether products with this bank (and so with queries of its device and dtype) take the fused path: float32 on the CPU.</summary>
    public static bool IsFused(Tensor bank)
    {
        return bank.device_type == DeviceType.CPU && bank.dtype == ScalarType.Float32;
    }

    /// <summary>The number of query rows multiplied at once with a bank of <paramref name="bankRows"/> rows.</summary>
    public static long QueryChunk(long queries, long bankRows, long chunkElements, bool fused)
    {
        if (fused)
        {
            return Math.Min(queries, chunkElements >= FusedRows * FusedColumns ? FusedRows : 256L);
        }

        return Math.Min(queries, Math.Max(256L, chunkElements / bankRows));
    }

    /// <summary>The number of bank rows multiplied at once with a query chunk of <paramref name="queryChunk"/> rows, keeping the top <paramref name="k"/>.</summary>
    public static long BankChunk(long queryChunk, long bankRows, int k, long chunkElements, bool fused)
    {
        var limit = chunkElements / queryChunk;
        return Math.Min(bankRows, Math.Max(k, fused ? Math.Min(FusedColumns, limit) : limit));
    }

    /// <summary>The k largest values of <paramref name="queries"/> · <paramref name="bank"/>ᵀ per query row, <c>(N, k)</c>, in no particular order.</summary>
    public static Tensor Largest(Tensor queries, Tensor bank, int k, long chunkElements, CancellationToken cancellationToken = default)
    {
        using var scope = torch.NewDisposeScope();
        var n = queries.shape[0];
        var fused = IsFused(bank);
        var queryChunk = QueryChunk(n, bank.shape[0], chunkElements, fused);
        var bankChunk = BankChunk(queryChunk, bank.shape[0], k, chunkElements, fused);
        var result = torch.empty(new[] { n, (long)k }, bank.dtype, bank.device);
        for (long start = 0; start < n; start += queryChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var chunkScope = torch.NewDisposeScope();
            var rows = Math.Min(queryChunk, n - start);
            result.narrow(0, start, rows).copy_(OfBlock(queries.narrow(0, start, rows), bank, k, bankChunk, null).Values);
        }

        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The k largest keys <paramref name="block"/> · <paramref name="bank"/>ᵀ (plus <paramref name="rowBias"/>, one number per bank row,
    /// when given) of each row of one query chunk, <paramref name="bankChunk"/> bank rows at a time, with their bank row indexes: <c>(B, k)</c> each, in no particular order.
    /// </summary>
    public static (Tensor Values, Tensor Indexes) OfBlock(Tensor block, Tensor bank, int k, long bankChunk, Tensor? rowBias)
    {
        return IsFused(bank) ? Fused(block, bank, k, bankChunk, rowBias) : Merged(block, bank, k, bankChunk, rowBias);
    }

    /// <summary>The CPU float32 path: one reused tile buffer, each tile's rows selected into per-query min-heaps right after the product.</summary>
    private static (Tensor Values, Tensor Indexes) Fused(Tensor block, Tensor bank, int k, long bankChunk, Tensor? rowBias)
    {
        var m = bank.shape[0];
        var rows = (int)block.shape[0];
        var values = new float[rows * k];
        var positions = new long[rows * k];
        values.AsSpan().Fill(float.NegativeInfinity);
        using (var scope = torch.NewDisposeScope())
        {
            var buffer = torch.empty(rows * bankChunk, ScalarType.Float32);
            for (long from = 0; from < m; from += bankChunk)
            {
                using var stepScope = torch.NewDisposeScope();
                var size = Math.Min(bankChunk, m - from);
                var tile = buffer.narrow(0, 0, rows * size).view(rows, size);
                tile.addmm_(block, bank.narrow(0, from, size).t(), 0, 1);
                if (rowBias is not null)
                {
                    tile.add_(rowBias.narrow(0, from, size));
                }

                var similarities = MemoryMarshal.Cast<byte, float>(buffer.bytes);
                for (var row = 0; row < rows; row++)
                {
                    Select(similarities.Slice(row * (int)size, (int)size), from, values.AsSpan(row * k, k), positions.AsSpan(row * k, k));
                }
            }
        }

        return (torch.tensor(values, new long[] { rows, k }), torch.tensor(positions, new long[] { rows, k }));
    }

    /// <summary>Offers one tile row to a query's min-heap of its k largest keys (<paramref name="heap"/>[0] the smallest kept), four vectors of keys at a time against the smallest.</summary>
    private static void Select(ReadOnlySpan<float> keys, long offset, Span<float> heap, Span<long> heapRows)
    {
        var smallest = heap[0];
        var j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref var first = ref MemoryMarshal.GetReference(keys);
            var step = 4 * Vector<float>.Count;
            var threshold = new Vector<float>(smallest);
            for (; j + step <= keys.Length; j += step)
            {
                var above = Vector.GreaterThan(Vector.LoadUnsafe(ref first, (nuint)j), threshold)
                    | Vector.GreaterThan(Vector.LoadUnsafe(ref first, (nuint)(j + Vector<float>.Count)), threshold)
                    | Vector.GreaterThan(Vector.LoadUnsafe(ref first, (nuint)(j + (2 * Vector<float>.Count))), threshold)
                    | Vector.GreaterThan(Vector.LoadUnsafe(ref first, (nuint)(j + (3 * Vector<float>.Count))), threshold);
                if (above == Vector<int>.Zero)
                {
                    continue;
                }

                for (var lane = j; lane < j + step; lane++)
                {
                    if (keys[lane] > smallest)
                    {
                        smallest = Replace(heap, heapRows, keys[lane], offset + lane);
                    }
                }

                threshold = new Vector<float>(smallest);
            }
        }

        for (; j < keys.Length; j++)
        {
            if (keys[j] > smallest)
            {
                smallest = Replace(heap, heapRows, keys[j], offset + j);
            }
        }
    }

    /// <summary>Replaces the smallest key of a min-heap and sifts the new one down; returns the new smallest.</summary>
    private static float Replace(Span<float> heap, Span<long> heapRows, float key, long row)
    {
        var count = heap.Length;
        var at = 0;
        while (true)
        {
            var child = (2 * at) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && heap[child + 1] < heap[child])
            {
                child++;
            }

            if (heap[child] >= key)
            {
                break;
            }

            heap[at] = heap[child];
            heapRows[at] = heapRows[child];
            at = child;
        }

        heap[at] = key;
        heapRows[at] = row;
        return heap[0];
    }

    /// <summary>Every other device or dtype: each bank chunk's top k by <c>topk</c>, merged with the running top k.</summary>
    private static (Tensor Values, Tensor Indexes) Merged(Tensor block, Tensor bank, int k, long bankChunk, Tensor? rowBias)
    {
        var m = bank.shape[0];
        Tensor? bestValues = null;
        Tensor? bestIndexes = null;
        for (long from = 0; from < m; from += bankChunk)
        {
            using var stepScope = torch.NewDisposeScope();
            var size = Math.Min(bankChunk, m - from);
            var similarities = block.matmul(bank.narrow(0, from, size).t());
            if (rowBias is not null)
            {
                similarities.add_(rowBias.narrow(0, from, size));
            }

            var (values, positions) = similarities.topk((int)Math.Min(k, size), 1, largest: true, sorted: false);
            positions = positions.add_(from);
            if (bestValues is not null)
            {
                var (kept, order) = torch.cat(new[] { bestValues, values }, 1).topk(k, 1, largest: true, sorted: false);
                positions = torch.cat(new[] { bestIndexes!, positions }, 1).gather(1, order);
                values = kept;
            }

            bestValues?.Dispose();
            bestIndexes?.Dispose();
            bestValues = values.MoveToOuterDisposeScope();
            bestIndexes = positions.MoveToOuterDisposeScope();
        }

        return (bestValues!, bestIndexes!);
    }
}
