using System;
using System.Globalization;

namespace Uqlib.Augmentation;

/// <summary>Options of the <see cref="TestTimeAugmentationEstimator"/>.</summary>
public sealed record TtaOptions
{
    /// <summary>Gets the default options.</summary>
    public static TtaOptions Default { get; } = new();

    /// <summary>Gets the largest number of augmented samples (copies × batch size) sent to the model in one forward pass; at least one whole copy of the batch is always sent; from 1 to 1,048,576.</summary>
    /// <value>The default value is <see langword="null"/>: every copy of the batch in one forward pass.</value>
    public int? MaxAugmentedBatchSize { get; init; }

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
