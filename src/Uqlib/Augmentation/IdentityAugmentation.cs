using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>Leaves the inputs as they are: the un-augmented prediction inside a policy.</summary>
internal sealed class IdentityAugmentation : IAugmentation
{
    public static IdentityAugmentation Instance { get; } = new();

    public string Name => "Identity";

    public bool IsGeometric => false;

    public Tensor Apply(Tensor inputs)
    {
        SpatialTensors.Check(inputs, nameof(inputs));
        return inputs.clone();
    }

    public Tensor Invert(Tensor outputs)
    {
        return Preconditions.NotNull(outputs, nameof(outputs)).alias();
    }
}
