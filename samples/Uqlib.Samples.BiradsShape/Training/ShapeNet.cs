using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Uqlib.Samples.BiradsShape.Training;

/// <summary>A small CNN that classifies a slice as round (class 0) or irregular (class 1): three convolution blocks, a penultimate
/// fully connected layer named <see cref="FeatureLayer"/> (the latent features for the out-of-distribution methods) and a linear head.</summary>
public sealed class ShapeNet : Module<Tensor, Tensor>
{
    /// <summary>The name of the penultimate layer, to pass as <c>featureLayer</c> to <see cref="Models.TorchModuleModel"/>.</summary>
    public const string FeatureLayer = "features";

    private readonly Sequential encoder;
    private readonly Sequential features;
    private readonly Linear classifier;

    /// <summary>Initializes a new instance of the <see cref="ShapeNet"/> class with weights drawn from the global generator.</summary>
    /// <param name="imageSize">The side of the square input slices, a multiple of 8 in [16, 128].</param>
    /// <param name="featureCount">The width of the penultimate layer, at least 2.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public ShapeNet(int imageSize, int featureCount = 32)
        : base(nameof(ShapeNet))
    {
        if (imageSize is < 16 or > 128 || imageSize % 8 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(imageSize), imageSize, $"imageSize must be a multiple of 8 in [16, 128]; found {imageSize}.");
        }

        if (featureCount < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, $"featureCount must be at least 2; found {featureCount}.");
        }

        var pooled = imageSize / 8;
        encoder = Sequential(
            ("conv1", Conv2d(1, 8, 3, padding: 1)),
            ("bn1", BatchNorm2d(8)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(2)),
            ("conv2", Conv2d(8, 16, 3, padding: 1)),
            ("bn2", BatchNorm2d(16)),
            ("relu2", ReLU()),
            ("pool2", MaxPool2d(2)),
            ("conv3", Conv2d(16, 32, 3, padding: 1)),
            ("bn3", BatchNorm2d(32)),
            ("relu3", ReLU()),
            ("pool3", MaxPool2d(2)),
            ("flatten", Flatten()));
        features = Sequential(("fc", Linear(32L * pooled * pooled, featureCount)), ("relu", ReLU()));
        classifier = Linear(featureCount, 2);
        RegisterComponents();
    }

    /// <summary>Maps slices <c>(N, 1, S, S)</c> to logits <c>(N, 2)</c>.</summary>
    /// <param name="input">The slices.</param>
    /// <returns>The logits.</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return classifier.call(features.call(encoder.call(input))).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            encoder.Dispose();
            features.Dispose();
            classifier.Dispose();
        }

        base.Dispose(disposing);
    }
}
