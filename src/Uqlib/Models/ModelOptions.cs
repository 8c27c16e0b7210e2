using static TorchSharp.torch;

namespace Uqlib.Models;

/// <summary>How a model adapter runs its model.</summary>
public sealed record ModelOptions
{
    /// <summary>Gets the default options: whole batches, inputs left on their device.</summary>
    public static ModelOptions Default { get; } = new();

    /// <summary>Gets the largest number of samples sent to the model at once; a larger input is split into chunks and the outputs concatenated; from 1 to 1,048,576.</summary>
    /// <value>The default value is <see langword="null"/>: no limit.</value>
    public int? MaxBatchSize { get; init; }

    /// <summary>Gets the device inputs are moved to before the forward pass; the model must already live there.</summary>
    /// <value>The default value is <see langword="null"/>: inputs stay where they are.</value>
    public Device? Device { get; init; }

    /// <summary>Checks every option and reports all problems in one exception.</summary>
    /// <exception cref="System.ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (MaxBatchSize is < 1 or > Preconditions.MaxBatchSize)
        {
            throw new System.ArgumentException(
                $"MaxBatchSize must be in [1, {Preconditions.MaxBatchSize}] (or null for no limit); found {MaxBatchSize}.", "options");
        }
    }
}
