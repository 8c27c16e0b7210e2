using System;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib;

/// <summary>
/// Rows appended along dimension 0 into one native tensor that grows geometrically, for results gathered over many batches.
/// </summary>
/// <remarks>
/// Keeping one small tensor per batch and concatenating them at the end leaves hundreds of small long-lived native blocks
/// between the large per-batch temporaries (model activations), so the C heap cannot reuse or return the freed space and the
/// process grows with every batch (glibc's dynamic mmap threshold puts blocks of up to 32 MiB on that heap). Copying each
/// batch's rows into one buffer frees every per-batch block before the next batch, and leaves O(log N) long-lived blocks.
/// The buffer grows by half its size, so at most 2.5 times the rows' bytes are held at once (while growing or trimming).
/// Not thread-safe.
/// </remarks>
internal sealed class RowBuffer : IDisposable
{
    private readonly string what;
    private Tensor? buffer;

    /// <summary>Initializes a new instance of the <see cref="RowBuffer"/> class.</summary>
    /// <param name="what">Names the rows in error messages (e.g. "SoftmaxEstimator's probabilities").</param>
    /// <param name="capacity">The rows to allocate for at the first <see cref="Append"/>, or 0 to size by the first batch; more are added as needed.</param>
    public RowBuffer(string what, long capacity = 0)
    {
        this.what = what;
        Capacity = capacity;
    }

    /// <summary>Gets the number of rows appended.</summary>
    public long Count { get; private set; }

    /// <summary>Gets the rows allocated (at least <see cref="Count"/>).</summary>
    public long Capacity { get; private set; }

    /// <summary>Copies the rows of <paramref name="rows"/> (not disposed) after those already appended.</summary>
    /// <exception cref="InvalidOperationException">The rows differ from the earlier ones in shape beyond dimension 0, dtype or device.</exception>
    public void Append(Tensor rows)
    {
        var count = rows.shape[0];
        if (buffer is null)
        {
            Capacity = Math.Max(Capacity, count);
            buffer = Allocate(rows, Capacity);
        }
        else
        {
            CheckLike(rows);
            if (Count + count > Capacity)
            {
                Grow(Math.Max(Count + count, Capacity + Capacity / 2));
            }
        }

        using var target = buffer.narrow(0, Count, count);
        target.copy_(rows);
        Count += count;
    }

    /// <summary>Hands over the appended rows as one tensor of exactly <see cref="Count"/> rows, outside any dispose scope; the buffer is then empty.</summary>
    /// <exception cref="InvalidOperationException">Nothing was appended.</exception>
    public Tensor Take()
    {
        if (buffer is null)
        {
            throw new InvalidOperationException($"{what}: no rows were appended.");
        }

        if (Count != Capacity)
        {
            Grow(Count);
        }

        var result = buffer;
        buffer = null;
        Count = 0;
        Capacity = 0;
        return result;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        buffer?.Dispose();
        buffer = null;
    }

    /// <summary>Allocates a tensor shaped like <paramref name="like"/> with <paramref name="rows"/> rows, outside any dispose scope.</summary>
    private static Tensor Allocate(Tensor like, long rows)
    {
        var shape = like.shape;
        shape[0] = rows;
        return torch.empty(shape, like.dtype, like.device).DetachFromDisposeScope();
    }

    private void Grow(long capacity)
    {
        var grown = Allocate(buffer!, capacity);
        using (var target = grown.narrow(0, 0, Count))
        using (var source = buffer!.narrow(0, 0, Count))
        {
            target.copy_(source);
        }

        buffer!.Dispose();
        buffer = grown;
        Capacity = capacity;
    }

    private void CheckLike(Tensor rows)
    {
        var expected = buffer!.shape;
        var found = rows.shape;
        var same = expected.Length == found.Length && rows.dtype == buffer.dtype
            && rows.device_type == buffer.device_type && rows.device_index == buffer.device_index;
        for (var i = 1; same && i < found.Length; i++)
        {
            same = expected[i] == found[i];
        }

        if (!same)
        {
            expected[0] = -1;
            found[0] = -1;
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{what}: every batch must give rows of one shape, dtype and device; the first gave ({string.Join(", ", expected)}) {buffer.dtype} on {buffer.device}, a later one ({string.Join(", ", found)}) {rows.dtype} on {rows.device}."));
        }
    }
}
