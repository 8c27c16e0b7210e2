using System.Globalization;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>Rotates by k quarter turns in a plane of two spatial axes, from the first axis towards the second; inverted exactly by −k turns.</summary>
internal sealed class Rot90Augmentation : IAugmentation
{
    private readonly int turns;
    private readonly int first;
    private readonly int second;

    public Rot90Augmentation(int turns, int firstAxis, int secondAxis)
    {
        this.turns = ((turns % 4) + 4) % 4;
        first = SpatialTensors.Axis(firstAxis, nameof(firstAxis));
        second = SpatialTensors.Axis(secondAxis, nameof(secondAxis));
        if (firstAxis == secondAxis)
        {
            throw new System.ArgumentException($"firstAxis and secondAxis must name two different axes; found ({firstAxis}, {secondAxis}).", nameof(secondAxis));
        }
    }

    public string Name => string.Create(CultureInfo.InvariantCulture, $"Rot90({turns}×, axes {first}→{second})");

    public bool IsGeometric => true;

    public Tensor Apply(Tensor inputs) => Rotate(inputs, turns, nameof(inputs));

    public Tensor Invert(Tensor outputs) => Rotate(outputs, -turns, nameof(outputs));

    private Tensor Rotate(Tensor value, int k, string name)
    {
        var spatial = SpatialTensors.Check(value, name);
        var (a, b) = SpatialTensors.Plane(first, second, spatial, "plane");
        return value.rot90(k, (a, b));
    }
}
