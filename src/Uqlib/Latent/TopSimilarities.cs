using System;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The one chunked matrix product with a running top-k of the project: the k largest inner products of queries with the rows of a bank, for <see cref="KnnDetector"/> (and so <see cref="KnnTopK"/>) and <see cref="NnGuideDetector"/>.</summary>
/// <remarks>
/// A query chunk has at least 256 rows, a bank chunk at least k rows, and at most max(chunkElements, 256 × k) similarities are held at
/// once; each chunk's products die with its dispose scope and only the running top k of the query chunk is kept. The products are in
/// the dtype of the inputs (float32 for both callers: <see cref="KnnDetector"/> refines its candidates in float64 afterwards, NNGuide
/// keeps float32 similarities as the paper's faiss index does). Inputs are trusted (validated by the caller, on one device, of one
/// dtype) and never disposed.
/// </remarks>
internal static class TopSimilarities
{
    /// <summary>The number of query rows multiplied at once with a bank of <paramref name="bankRows"/> rows.</summary>
    public static long QueryChunk(long queries, long bankRows, long chunkElements)
    {
        return Math.Min(queries, Math.Max(256L, chunkElements / bankRows));
    }

    /// <summary>The number of bank rows multiplied at once with a query chunk of <paramref name="queryChunk"/> rows, keeping the top <paramref name="k"/>.</summary>
    public static long BankChunk(long queryChunk, long bankRows, int k, long chunkElements)
    {
        return Math.Min(bankRows, Math.Max(k, chunkElements / queryChunk));
    }

    /// <summary>The k largest values of <paramref name="queries"/> · <paramref name="bank"/>ᵀ per query row, <c>(N, k)</c>, in no particular order.</summary>
    public static Tensor Largest(Tensor queries, Tensor bank, int k, long chunkElements, CancellationToken cancellationToken = default)
    {
        using var scope = torch.NewDisposeScope();
        var n = queries.shape[0];
        var queryChunk = QueryChunk(n, bank.shape[0], chunkElements);
        var bankChunk = BankChunk(queryChunk, bank.shape[0], k, chunkElements);
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
