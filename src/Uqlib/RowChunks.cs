using System;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>
/// Per-row float64 scores of a matrix of rows computed a cache-sized chunk of rows at a time, for the scores that convert their input to
/// float64 (the last-layer detectors, MCM).
/// </summary>
/// <remarks>
/// Converting all of a <c>(N, F)</c> float32 input to float64 first, as the PyTorch formulations do, writes and reads back a matrix twice
/// the input's size, and every further elementwise step (ReAct's clipping, a normalisation) another one: memory traffic, not arithmetic,
/// then sets the time. Here each chunk of rows is copied into one reused float64 buffer small enough to stay in the processor's cache,
/// checked for NaN and ∞ there (one sum; the one <see cref="Preconditions"/> helper reports a non-finite input), and scored; the input is
/// read once. Rows are independent, so the result does not depend on the chunking beyond the rounding of the matrix products.
/// </remarks>
internal static class RowChunks
{
    /// <summary>The float64 elements in one chunk: 2 MiB, cache-resident (512 rows of 512 features; measured best of 128 to 8,192 rows).</summary>
    public const long DefaultChunkElements = 1L << 18;

    /// <summary>
    /// Applies <paramref name="score"/> to chunks of <paramref name="rows"/> <c>(N, F)</c> converted to float64 on <paramref name="device"/>
    /// and gathers its results, <c>(N)</c> float64.
    /// </summary>
    /// <param name="rows">The rows; read, never modified or disposed.</param>
    /// <param name="name">The public parameter name of <paramref name="rows"/>, for the error on NaN or ∞.</param>
    /// <param name="device">The device the scores are computed on.</param>
    /// <param name="score">Maps a float64 chunk <c>(B, F)</c> (a scratch buffer it may overwrite) to its scores <c>(B)</c>.</param>
    /// <param name="chunkElements">The number of float64 elements converted at once.</param>
    /// <exception cref="ArgumentException"><paramref name="rows"/> is not of a floating-point dtype, or holds NaN or ∞ values.</exception>
    public static Tensor Float64Scores(Tensor rows, string name, Device device, Func<Tensor, Tensor> score, long chunkElements = DefaultChunkElements)
    {
        if (!rows.is_floating_point())
        {
            Preconditions.Finite(rows, name);   // refuses the dtype
        }

        using var scope = torch.NewDisposeScope();
        var n = rows.shape[0];
        var width = Math.Max(1, rows.shape[1]);
        var chunk = Math.Min(n, Math.Max(1, chunkElements / width));
        var result = torch.empty(n, ScalarType.Float64, device);
        var buffer = torch.empty(new[] { chunk, rows.shape[1] }, ScalarType.Float64, device);
        for (long start = 0; start < n; start += chunk)
        {
            using var chunkScope = torch.NewDisposeScope();
            var length = Math.Min(chunk, n - start);
            var x = buffer.narrow(0, 0, length);
            x.copy_(rows.narrow(0, start, length));
            if (!double.IsFinite(x.sum().ToDouble()))
            {
                Preconditions.Finite(rows, name);
            }

            result.narrow(0, start, length).copy_(score(x));
        }

        return result.MoveToOuterDisposeScope();
    }
}
