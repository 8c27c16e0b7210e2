using System;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Uqlib.Augmentation;

/// <summary>Separable Gaussian smoothing of every channel along every spatial axis, with edge replication; a batched convolution per axis.</summary>
internal static class GaussianSmoothing
{
    public static Tensor Smooth(Tensor inputs, double sigma)
    {
        using var scope = torch.NewDisposeScope();
        var spatial = (int)inputs.dim() - 2;
        var radius = Math.Max(1, (int)Math.Ceiling(3 * sigma));
        var taps = new double[(2 * radius) + 1];
        var total = 0.0;
        for (var i = -radius; i <= radius; i++)
        {
            taps[i + radius] = Math.Exp(-(i * i) / (2 * sigma * sigma));
            total += taps[i + radius];
        }

        for (var i = 0; i < taps.Length; i++)
        {
            taps[i] /= total;
        }

        var kernel = torch.tensor(taps, dtype: inputs.dtype, device: inputs.device);
        var shape = inputs.shape;
        var planes = new long[spatial + 2];
        planes[0] = shape[0] * shape[1];
        planes[1] = 1;
        Array.Copy(shape, 2, planes, 2, spatial);
        var x = inputs.reshape(planes);
        for (var axis = 0; axis < spatial; axis++)
        {
            var fromLast = spatial - 1 - axis;
            var padding = new long[2 * spatial];
            padding[2 * fromLast] = radius;
            padding[(2 * fromLast) + 1] = radius;
            var weightShape = new long[spatial + 2];
            Array.Fill(weightShape, 1L);
            weightShape[2 + axis] = taps.Length;
            var padded = pad(x, padding, PaddingModes.Replicate);
            x = spatial == 2 ? conv2d(padded, kernel.reshape(weightShape)) : conv3d(padded, kernel.reshape(weightShape));
        }

        return x.reshape(shape).MoveToOuterDisposeScope();
    }
}
