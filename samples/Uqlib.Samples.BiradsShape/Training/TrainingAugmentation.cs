using System;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Uqlib.Samples.BiradsShape.Training;

/// <summary>Random training augmentation that keeps a slice's shape label: flips and transposition (the dihedral group of the
/// square), contrast and brightness changes, blur and additive noise, each drawn per slice.</summary>
public static class TrainingAugmentation
{
    /// <summary>Returns an augmented copy of a batch.</summary>
    /// <param name="images">Slices <c>(N, 1, H, W)</c> with H = W, float32 (not disposed).</param>
    /// <param name="generator">The seeded source of every draw.</param>
    /// <returns>The augmented slices; the caller disposes them.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The images are not square slices of shape (N, 1, H, H).</exception>
    public static Tensor Apply(Tensor images, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(generator);
        if (images.dim() != 4 || images.shape[1] != 1 || images.shape[2] != images.shape[3])
        {
            throw new ArgumentException($"images must have shape (N, 1, H, H); found ({string.Join(", ", images.shape)}).", nameof(images));
        }

        using var scope = NewDisposeScope();
        var n = images.shape[0];
        Tensor Draw() => rand(new long[] { n, 1, 1, 1 }, generator: generator);
        var x = images;
        x = where(Draw().lt(0.5), x.flip(2), x);
        x = where(Draw().lt(0.5), x.flip(3), x);
        x = where(Draw().lt(0.5), x.transpose(2, 3), x);
        var blurred = F.avg_pool2d(x, new long[] { 3, 3 }, new long[] { 1, 1 }, new long[] { 1, 1 }, count_include_pad: false);
        var blur = Draw().mul(0.8);
        x = x.mul(blur.neg().add(1.0)).add(blurred.mul(blur));
        x = x.mul(Draw().mul(0.6).add(0.7)).add(Draw().sub(0.5).mul(0.4));
        x = x.add(randn(images.shape, generator: generator).mul(Draw().mul(0.4)));
        return x.MoveToOuterDisposeScope();
    }
}
