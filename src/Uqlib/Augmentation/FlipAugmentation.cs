using System.Globalization;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>Mirrors the inputs along one spatial axis; its own exact inverse.</summary>
internal sealed class FlipAugmentation : IAugmentation
{
    private readonly int axis;

    public FlipAugmentation(int axis)
    {
        this.axis = SpatialTensors.Axis(axis, nameof(axis));
    }

    public string Name => string.Create(CultureInfo.InvariantCulture, $"Flip(axis {axis})");

    public bool IsGeometric => true;

    public Tensor Apply(Tensor inputs)
    {
        var spatial = SpatialTensors.Check(inputs, nameof(inputs));
        return inputs.flip(SpatialTensors.Dimension(axis, spatial, "axis"));
    }

    public Tensor Invert(Tensor outputs)
    {
        return Apply(outputs);
    }
}
