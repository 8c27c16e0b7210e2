using System;
using System.Globalization;

namespace Uqlib.Augmentation;

/// <summary>One operation of a sub-policy: an <see cref="AugmentationOperation"/> at a signed magnitude with the seed of its random draws, enough to rebuild it exactly.</summary>
/// <param name="Operation">The operation.</param>
/// <param name="Magnitude">The signed magnitude m ∈ [−1, 1] passed to <see cref="Augmentations.FromOperation"/>.</param>
/// <param name="Seed">The seed of the random operations (noise, bias field); ignored by the others.</param>
/// <remarks>Lyzhov et al. 2020, "Greedy policy search": a sub-policy is a short sequence of such operations.</remarks>
public sealed record PolicyOperation(AugmentationOperation Operation, double Magnitude, int Seed = 0)
{
    /// <summary>Checks that the operation is defined and the magnitude lies in [−1, 1].</summary>
    /// <exception cref="ArgumentOutOfRangeException">The operation is undefined, or the magnitude is NaN or outside [−1, 1].</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Operation))
        {
            throw new ArgumentOutOfRangeException(nameof(Operation), Operation,
                string.Create(CultureInfo.InvariantCulture, $"Operation must be a defined AugmentationOperation; found {Operation}."));
        }

        Preconditions.InRange(Magnitude, nameof(Magnitude), -1, 1);
    }

    /// <summary>Builds the augmentation with <see cref="Augmentations.FromOperation"/>.</summary>
    /// <returns>The augmentation.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The operation is undefined, or the magnitude is NaN or outside [−1, 1].</exception>
    public IAugmentation ToAugmentation()
    {
        Validate();
        return Augmentations.FromOperation(Operation, Magnitude, Seed);
    }
}
