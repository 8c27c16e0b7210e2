using System;
using System.Collections.Generic;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>
/// Rows appended along dimension 0 into a few native chunks, handed over at the end as one tensor, for results gathered over many batches.
/// </summary>
/// <remarks>
/// Keeping one small tensor per batch and concatenating them at the end leaves hundreds of small long-lived native blocks
/// between the large per-batch temporaries (model activations), so the C heap cannot reuse or return the freed space and the
/// process grows with every batch (glibc's dynamic mmap threshold puts blocks of up to 32 MiB on that heap). Copying each
/// batch's rows into a chunk frees every per-batch block before the next batch. With the number of rows known in advance
/// (<c>capacity</c>), one chunk of exactly that size is filled and handed over as it is: no copy, the rows' own bytes. Otherwise
/// each new chunk holds a quarter of the rows so far (at least the batch that needs it), so there are O(log N) chunks, nothing
/// is copied while growing, and at most a quarter more than the rows is allocated; <see cref="Take"/> then copies the chunks, in
/// order, into one tensor of exactly the rows' size and frees each chunk as soon as it is copied, so that (the result's pages
/// being touched only as they are written) the memory held peaks at about the rows' bytes plus one chunk.
/// Not thread-safe.
/// </remarks>
internal sealed class RowBuffer : IDisposable
{
    private readonly string what;
    private readonly long expected;
    private readonly List<Tensor> chunks = new();
    private long filled;

    /// <summary>Initializes a new instance of the <see cref="RowBuffer"/> class.</summary>
    /// <param name="what">Names the rows in error messages (e.g. "SoftmaxEstimator's probabilities").</param>
    /// <param name="capacity">The rows expected in all, allocated at the first <see cref="Append"/>, or 0 when unknown; more are added as needed.</param>
    public RowBuffer(string what, long capacity = 0)
    {
        this.what = what;
        expected = capacity;
    }

    /// <summary>Gets the number of rows appended.</summary>
    public long Count { get; private set; }

    /// <summary>Gets the rows allocated (at least <see cref="Count"/>).</summary>
    public long Capacity { get; private set; }

    /// <summary>Gets the number of chunks allocated.</summary>
    public int Chunks => chunks.Count;

    /// <summary>Copies the rows of <paramref name="rows"/> (not disposed) after those already appended.</summary>
    /// <exception cref="InvalidOperationException">The rows differ from the earlier ones in shape beyond dimension 0, dtype or device.</exception>
    public void Append(Tensor rows)
    {
        var count = rows.shape[0];
        if (chunks.Count > 0)
        {
            CheckLike(rows);
        }

        long done = 0;
        while (done < count)
        {
            if (chunks.Count == 0 || filled == chunks[^1].shape[0])
            {
                var size = chunks.Count == 0 ? Math.Max(expected, count) : Math.Max(count - done, Count / 4);
                chunks.Add(Allocate(rows, size));
                Capacity += size;
                filled = 0;
            }

            var last = chunks[^1];
            var length = Math.Min(count - done, last.shape[0] - filled);
            using (var target = last.narrow(0, filled, length))
            using (var source = rows.narrow(0, done, length))
            {
                target.copy_(source);
            }

            filled += length;
            done += length;
            Count += length;
        }
    }

    /// <summary>Hands over the appended rows as one tensor of exactly <see cref="Count"/> rows, outside any dispose scope; the buffer is then empty.</summary>
    /// <exception cref="InvalidOperationException">Nothing was appended.</exception>
    public Tensor Take()
    {
        if (chunks.Count == 0)
        {
            throw new InvalidOperationException($"{what}: no rows were appended.");
        }

        Tensor result;
        if (chunks.Count == 1 && Count == Capacity)
        {
            result = chunks[0];
        }
        else
        {
            result = Allocate(chunks[0], Count);
            long start = 0;
            for (var i = 0; i < chunks.Count; i++)
            {
                var length = Math.Min(chunks[i].shape[0], Count - start);
                using (var target = result.narrow(0, start, length))
                using (var source = chunks[i].narrow(0, 0, length))
                {
                    target.copy_(source);
                }

                chunks[i].Dispose();
                start += length;
            }
        }

        chunks.Clear();
        filled = 0;
        Count = 0;
        Capacity = 0;
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        chunks.ForEach(chunk => chunk.Dispose());
        chunks.Clear();
    }

    /// <summary>Allocates a tensor shaped like <paramref name="like"/> with <paramref name="rows"/> rows, outside any dispose scope.</summary>
    private static Tensor Allocate(Tensor like, long rows)
    {
        var shape = like.shape;
        shape[0] = rows;
        return torch.empty(shape, like.dtype, like.device).DetachFromDisposeScope();
    }

    private void CheckLike(Tensor rows)
    {
        var expected = chunks[0].shape;
        var found = rows.shape;
        var same = expected.Length == found.Length && rows.dtype == chunks[0].dtype
            && rows.device_type == chunks[0].device_type && rows.device_index == chunks[0].device_index;
        for (var i = 1; same && i < found.Length; i++)
        {
            same = expected[i] == found[i];
        }

        if (!same)
        {
            expected[0] = -1;
            found[0] = -1;
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{what}: every batch must give rows of one shape, dtype and device; the first gave ({string.Join(", ", expected)}) {chunks[0].dtype} on {chunks[0].device}, a later one ({string.Join(", ", found)}) {rows.dtype} on {rows.device}."));
        }
    }
}
