using System;
using System.Collections.Generic;
using System.Linq;

namespace Uqlib.Augmentation;

/// <summary>An immutable list of test-time augmentations (repeats allowed, identity included or not), each giving one augmented copy of a batch.</summary>
/// <remarks>A policy learnt by greedy policy search repeats the sub-policies it selects several times; each repeat counts as one copy in the average.</remarks>
public sealed class TtaPolicy
{
    private readonly IAugmentation[] augmentations;

    /// <summary>Initializes a new instance of the <see cref="TtaPolicy"/> class.</summary>
    /// <param name="augmentations">The augmentations, at least one; include <see cref="Augmentations.Identity"/> for the plain prediction.</param>
    /// <exception cref="ArgumentNullException"><paramref name="augmentations"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="augmentations"/> is empty.</exception>
    public TtaPolicy(IEnumerable<IAugmentation> augmentations)
    {
        Preconditions.NotNull(augmentations, nameof(augmentations));
        this.augmentations = augmentations.ToArray();
        if (this.augmentations.Length == 0)
        {
            throw new ArgumentException("A policy needs at least one augmentation; found none.", nameof(augmentations));
        }

        for (var i = 0; i < this.augmentations.Length; i++)
        {
            if (this.augmentations[i] is null)
            {
                throw new ArgumentNullException(nameof(augmentations), $"augmentations[{i}] is null.");
            }
        }
    }

    /// <summary>Gets the augmentations, in order.</summary>
    public IReadOnlyList<IAugmentation> Augmentations => augmentations;

    /// <summary>Gets the number of augmented copies per batch.</summary>
    public int Count => augmentations.Length;

    /// <summary>Gets a value indicating whether any augmentation moves pixels.</summary>
    public bool IsGeometric => augmentations.Any(a => a.IsGeometric);

    /// <summary>Creates a policy from the given augmentations.</summary>
    /// <param name="augmentations">The augmentations, at least one.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="augmentations"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="augmentations"/> is empty.</exception>
    public static TtaPolicy Of(params IAugmentation[] augmentations) => new(augmentations);

    /// <summary>The identity and a flip along every spatial axis: a policy that suits most medical images.</summary>
    /// <param name="spatialDimensions">2 for images, 3 for volumes.</param>
    /// <returns>A policy of 1 + <paramref name="spatialDimensions"/> augmentations.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="spatialDimensions"/> is not 2 or 3.</exception>
    public static TtaPolicy Flips(int spatialDimensions = 2)
    {
        if (spatialDimensions is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(spatialDimensions), spatialDimensions, $"spatialDimensions must be 2 or 3; found {spatialDimensions}.");
        }

        var list = new List<IAugmentation> { Uqlib.Augmentation.Augmentations.Identity };
        for (var axis = 0; axis < spatialDimensions; axis++)
        {
            list.Add(Uqlib.Augmentation.Augmentations.Flip(axis));
        }

        return new TtaPolicy(list);
    }
}
