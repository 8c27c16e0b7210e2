using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>Adds a shift proportional to each sample's intensity range: x + shift·(max − min).</summary>
internal sealed class BrightnessAugmentation : IntensityAugmentation
{
    private readonly double shift;

    public BrightnessAugmentation(double shift)
    {
        this.shift = Preconditions.InRange(shift, nameof(shift), -1, 1);
    }

    public override string Name => $"Brightness({SpatialTensors.Format(shift)})";

    protected override Tensor ApplyCore(Tensor inputs)
    {
        var (_, range) = SpatialTensors.MinRange(inputs);
        return inputs.add(range.mul(shift));
    }
}
