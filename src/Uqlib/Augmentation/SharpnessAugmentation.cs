using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>Unsharp masking: x + amount·(x − blur(x)), with a Gaussian blur of σ = 1 pixel.</summary>
internal sealed class SharpnessAugmentation : IntensityAugmentation
{
    private readonly double amount;

    public SharpnessAugmentation(double amount)
    {
        this.amount = Preconditions.InRange(amount, nameof(amount), 0, 10);
    }

    public override string Name => $"Sharpness({SpatialTensors.Format(amount)})";

    protected override Tensor ApplyCore(Tensor inputs)
    {
        var detail = inputs.sub(GaussianSmoothing.Smooth(inputs, 1.0));
        return inputs.add(detail.mul_(amount));
    }
}
