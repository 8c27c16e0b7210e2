using System;
using static TorchSharp.torch;

namespace Uqlib.Samples.BiradsShape.Tests.TestSupport;

/// <summary>A separable toy problem: noisy ellipses (class 0) and stars (class 1), (N, 1, 24, 24), z-scored.</summary>
internal static class ToyShapes
{
    internal static (Tensor Images, Tensor Labels) Make(int count, int seed)
    {
        var random = new Random(seed);
        var images = new Tensor[count];
        var labels = new long[count];
        for (var i = 0; i < count; i++)
        {
            labels[i] = i % 2;
            using var mask = labels[i] == 0
                ? Shapes.Ellipse(24, 11.5 + random.Next(-2, 3), 11.5 + random.Next(-2, 3), 6 + (3 * random.NextDouble()), 4 + (2 * random.NextDouble()), random.NextDouble() * Math.PI)
                : Shapes.Star(24, 5 + random.Next(4), 3, 10);
            images[i] = mask.unsqueeze(0);
        }

        using var stacked = cat(images);
        foreach (var image in images)
        {
            image.Dispose();
        }

        var generator = new Generator((ulong)seed);
        using var noise = randn(stacked.shape, generator: generator).mul(0.3);
        using var noisy = stacked.add(noise);
        var mean = noisy.mean();
        var std = noisy.std();
        var result = noisy.sub(mean).div(std);
        mean.Dispose();
        std.Dispose();
        generator.Dispose();
        return (result, tensor(labels));
    }
}
