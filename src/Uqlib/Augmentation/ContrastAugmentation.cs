using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>Scales each sample's deviations from its mean intensity: mean + factor·(x − mean).</summary>
internal sealed class ContrastAugmentation : IntensityAugmentation
{
    private readonly double factor;

    public ContrastAugmentation(double factor)
    {
        this.factor = Preconditions.InRange(factor, nameof(factor), 0, 10);
    }

    public override string Name => $"Contrast({SpatialTensors.Format(factor)}×)";

    protected override Tensor ApplyCore(Tensor inputs)
    {
        var mean = inputs.mean(SpatialTensors.NonBatchDims(inputs), keepdim: true);
        return inputs.sub(mean).mul_(factor).add_(mean);
    }
}
