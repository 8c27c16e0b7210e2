using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>Adds Gaussian noise whose standard deviation is a fraction of each sample's intensity range; drawn on the CPU from its own seed at every call, so CPU and CUDA give the same noise.</summary>
internal sealed class GaussianNoiseAugmentation : IntensityAugmentation
{
    private readonly double fraction;
    private readonly int seed;

    public GaussianNoiseAugmentation(double fraction, int seed)
    {
        this.fraction = Preconditions.InRange(fraction, nameof(fraction), 0, 1);
        this.seed = seed;
    }

    public override string Name => string.Create(CultureInfo.InvariantCulture, $"GaussianNoise({SpatialTensors.Format(fraction)}, seed {seed})");

    protected override Tensor ApplyCore(Tensor inputs)
    {
        var (_, range) = SpatialTensors.MinRange(inputs);
        using var generator = new torch.Generator(unchecked((ulong)seed));
        var noise = torch.randn(inputs.shape, dtype: inputs.dtype, generator: generator).to(inputs.device);
        return inputs.add(noise.mul_(range.mul(fraction)));
    }
}
