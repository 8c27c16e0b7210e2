using System;
using System.Globalization;

namespace Uqlib.Augmentation;

/// <summary>Options of the <see cref="TestTimeAugmentationEstimator"/>.</summary>
public sealed record TtaOptions
{
    /// <summary>Gets the default options.</summary>
    public static TtaOptions Default { get; } = new();

    /// <summary>The most bytes of augmented input one forward pass is given by the automatic choice on a CPU: 1 MiB.</summary>
    internal const long CpuPassBytes = 1L << 20;

    /// <summary>The most bytes of augmented input one forward pass is given by the automatic choice on an accelerator (CUDA, MPS): 64 MiB.</summary>
    internal const long AcceleratorPassBytes = 64L << 20;

    /// <summary>Gets the largest number of augmented samples (copies × batch size) sent to the model in one forward pass; at least one whole copy of the batch is always sent; from 1 to 1,048,576.</summary>
    /// <value>
    /// The default value is <see langword="null"/>: chosen per batch from the batch's bytes. Whole copies of the batch are grouped into one
    /// forward pass while the group's input holds at most 1 MiB on a CPU, or 64 MiB on an accelerator; a batch larger than that is sent one
    /// copy per pass, so a pass never holds more than one copy of the batch or that budget, whichever is larger. The batch size a caller
    /// chose for the model is thus the size of each pass on a CPU, where one pass of all copies runs slower than a pass per copy (a pass of
    /// 8 × 500 small images took about 3× as long as 8 passes of 500), while small batches are grouped so that per-call overhead does not
    /// dominate; on an accelerator copies are grouped up to the larger budget, where larger passes use the device better.
    /// </value>
    public int? MaxAugmentedBatchSize { get; init; }

    /// <summary>The number of augmented copies of a batch of <paramref name="count"/> samples, <paramref name="copyBytes"/> bytes each copy, that go to the model in one forward pass.</summary>
    /// <param name="count">The samples in the batch, at least 1.</param>
    /// <param name="copyBytes">The bytes of one copy of the batch.</param>
    /// <param name="copies">The copies wanted (the policy's size).</param>
    /// <param name="onCpu">Whether the batch is in CPU memory.</param>
    internal int CopiesPerPass(long count, long copyBytes, int copies, bool onCpu)
    {
        var perPass = MaxAugmentedBatchSize is { } limit
            ? limit / count
            : (onCpu ? CpuPassBytes : AcceleratorPassBytes) / Math.Max(1, copyBytes);
        return (int)Math.Clamp(perPass, 1, copies);
    }

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (MaxAugmentedBatchSize is < 1 or > Preconditions.MaxBatchSize)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"MaxAugmentedBatchSize must be in [1, {Preconditions.MaxBatchSize}] or null; found {MaxAugmentedBatchSize}."),
                nameof(MaxAugmentedBatchSize));
        }
    }
}
