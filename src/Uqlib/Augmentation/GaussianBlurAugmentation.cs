using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>Gaussian blur of standard deviation σ pixels along every spatial axis (kernel radius ⌈3σ⌉, edges replicated).</summary>
internal sealed class GaussianBlurAugmentation : IntensityAugmentation
{
    private readonly double sigma;

    public GaussianBlurAugmentation(double sigma)
    {
        this.sigma = Preconditions.InRange(sigma, nameof(sigma), 0.05, 10);
    }

    public override string Name => $"GaussianBlur(σ {SpatialTensors.Format(sigma)})";

    protected override Tensor ApplyCore(Tensor inputs) => GaussianSmoothing.Smooth(inputs, sigma);
}
