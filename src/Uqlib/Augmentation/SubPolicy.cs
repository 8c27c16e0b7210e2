using System;
using System.Collections.Generic;
using System.Linq;

namespace Uqlib.Augmentation;

/// <summary>A candidate of greedy policy search: a sequence of operations applied in order (none for the identity), rebuilt exactly from its operations, magnitudes and seeds.</summary>
/// <remarks>Lyzhov et al. 2020, "Greedy Policy Search: A Simple Baseline for Learnable Test-Time Augmentation". Immutable and thread-safe.</remarks>
public sealed class SubPolicy
{
    private readonly PolicyOperation[] operations;

    /// <summary>Initializes a new instance of the <see cref="SubPolicy"/> class.</summary>
    /// <param name="operations">The operations, in order; empty for the identity.</param>
    /// <exception cref="ArgumentNullException"><paramref name="operations"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An operation is undefined or its magnitude is NaN or outside [−1, 1].</exception>
    public SubPolicy(IEnumerable<PolicyOperation> operations)
    {
        Preconditions.NotNull(operations, nameof(operations));
        this.operations = operations.ToArray();
        for (var i = 0; i < this.operations.Length; i++)
        {
            if (this.operations[i] is null)
            {
                throw new ArgumentNullException(nameof(operations), $"operations[{i}] is null.");
            }

            this.operations[i].Validate();
        }

        Augmentation = this.operations.Length switch
        {
            0 => Augmentations.Identity,
            1 => this.operations[0].ToAugmentation(),
            _ => Augmentations.Compose(this.operations.Select(o => o.ToAugmentation()).ToArray()),
        };
    }

    /// <summary>Gets the sub-policy that changes nothing (no operations).</summary>
    public static SubPolicy Identity { get; } = new(Array.Empty<PolicyOperation>());

    /// <summary>Gets the operations, in the order they are applied.</summary>
    public IReadOnlyList<PolicyOperation> Operations => Array.AsReadOnly(operations);

    /// <summary>Gets the augmentation the operations build.</summary>
    public IAugmentation Augmentation { get; }

    /// <summary>Gets a value indicating whether the sub-policy changes nothing (it has no operations, or only identities).</summary>
    public bool IsIdentity => operations.All(o => o.Operation == AugmentationOperation.Identity);

    /// <summary>Creates a sub-policy of the given operations.</summary>
    /// <param name="operations">The operations, in order.</param>
    /// <returns>The sub-policy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="operations"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An operation is undefined or its magnitude is NaN or outside [−1, 1].</exception>
    public static SubPolicy Of(params PolicyOperation[] operations) => new(operations);

    /// <summary>Gets the name of the augmentation.</summary>
    /// <returns>The name, e.g. <c>"Compose(Flip(-1), Rotate(10°, axes -2→-1))"</c>.</returns>
    public override string ToString() => Augmentation.Name;
}
