using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>A gamma curve on min–max normalised intensities, mapped back to each sample's range: min + range·((x − min) / range)^γ.</summary>
internal sealed class GammaAugmentation : IntensityAugmentation
{
    private readonly double gamma;

    public GammaAugmentation(double gamma)
    {
        this.gamma = Preconditions.InRange(gamma, nameof(gamma), 0.1, 10);
    }

    public override string Name => $"Gamma({SpatialTensors.Format(gamma)})";

    protected override Tensor ApplyCore(Tensor inputs)
    {
        var (low, range) = SpatialTensors.MinRange(inputs);
        return inputs.sub(low).div_(range).clamp_(0.0, 1.0).pow_(gamma).mul_(range).add_(low);
    }
}
