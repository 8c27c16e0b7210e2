using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>The shared part of the intensity augmentations: input checks, a dispose scope around the core, and an identity <see cref="Invert"/> (nothing moves).</summary>
internal abstract class IntensityAugmentation : IAugmentation
{
    public abstract string Name { get; }

    public bool IsGeometric => false;

    public Tensor Apply(Tensor inputs)
    {
        SpatialTensors.Check(inputs, nameof(inputs));
        using var scope = torch.NewDisposeScope();
        return ApplyCore(inputs).MoveToOuterDisposeScope();
    }

    public Tensor Invert(Tensor outputs)
    {
        return Preconditions.NotNull(outputs, nameof(outputs)).alias();
    }

    /// <summary>Transforms a checked batch; runs inside a dispose scope, so temporaries need no disposing.</summary>
    protected abstract Tensor ApplyCore(Tensor inputs);
}
