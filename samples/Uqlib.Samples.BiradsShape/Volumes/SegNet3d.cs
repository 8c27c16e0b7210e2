using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Uqlib.Samples.BiradsShape.Volumes;

/// <summary>A small fully convolutional 3-D segmenter (tumour vs background): four 3 × 3 × 3 convolutions, one dilated for context, and a
/// 1 × 1 × 1 head. It keeps the spatial size, so it runs on patches during training and under sliding windows at test time.</summary>
public sealed class SegNet3d : Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    /// <summary>Initializes a new instance of the <see cref="SegNet3d"/> class with weights drawn from the global generator.</summary>
    /// <param name="width">The number of channels of the hidden layers.</param>
    public SegNet3d(int width = 8)
        : base(nameof(SegNet3d))
    {
        layers = Sequential(
            ("conv1", Conv3d(1, width, 3, padding: 1)),
            ("bn1", BatchNorm3d(width)),
            ("relu1", ReLU()),
            ("conv2", Conv3d(width, width, 3, padding: 2, dilation: 2)),
            ("bn2", BatchNorm3d(width)),
            ("relu2", ReLU()),
            ("conv3", Conv3d(width, width, 3, padding: 1)),
            ("relu3", ReLU()),
            ("head", Conv3d(width, 2, 1)));
        RegisterComponents();
    }

    /// <summary>Maps volumes <c>(N, 1, D, H, W)</c> to logits <c>(N, 2, D, H, W)</c>.</summary>
    /// <param name="input">The volumes.</param>
    /// <returns>The logits.</returns>
    public override Tensor forward(Tensor input) => layers.forward(input);
}
