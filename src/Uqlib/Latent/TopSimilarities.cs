using System;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The k largest inner products of each query with the rows of a bank, by chunked matrix products and a running top-k.</summary>
/// <remarks>
/// The chunking follows <see cref="KnnDetector"/>'s: a query chunk has at least 256 rows, a bank chunk at least k rows, and at most
/// max(chunkElements, 256 × k) similarities are held at once; each chunk's products die with its dispose scope and only the running
/// top k of the query chunk is kept. Inputs are trusted (validated by the caller, on one device, of one dtype) and never disposed.
/// </remarks>
internal static class TopSimilarities
{
    /// <summary>The k largest values of <paramref name="queries"/> · <paramref name="bank"/>ᵀ per query row, <c>(N, k)</c>, in no particular order.</summary>
    public static Tensor Largest(Tensor queries, Tensor bank, int k, long chunkElements, CancellationToken cancellationToken = default)
    {
        using var scope = torch.NewDisposeScope();
        var n = queries.shape[0];
        var m = bank.shape[0];
        var queryChunk = Math.Min(n, Math.Max(256L, chunkElements / m));
        var bankChunk = Math.Min(m, Math.Max(k, chunkElements / queryChunk));
        var result = torch.empty(new[] { n, (long)k }, bank.dtype, bank.device);
        for (long start = 0; start < n; start += queryChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
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

            result.narrow(0, start, block.shape[0]).copy_(best!);
        }

        return result.MoveToOuterDisposeScope();
    }
}
