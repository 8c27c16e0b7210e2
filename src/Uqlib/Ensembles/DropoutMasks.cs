using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Uqlib.Ensembles;

/// <summary>
/// Training-mode dropout for MC dropout, applied to a dropout layer's evaluation-mode output (the identity) from a private, seeded
/// generator, so that neither the module's modes nor the default generator are touched. As PyTorch's <c>_dropout_impl</c>: a Bernoulli(1 − p)
/// mask per element (<c>Dropout</c>, <c>AlphaDropout</c>) or per sample and channel, shape <c>(N, C, 1, …)</c> (<c>Dropout1d/2d/3d</c>,
/// <c>FeatureAlphaDropout</c>); plain dropout scales the kept values by 1/(1 − p); alpha dropout maps x to a·m·x + α·a·(m − 1 + p) with
/// α = 1.7580993408473766 and a = ((α²p + 1)(1 − p))^−½, keeping a SELU network's mean and variance; p = 1 gives zeros.
/// </summary>
internal sealed class DropoutMasks : IDisposable
{
    private const double SeluAlpha = 1.7580993408473766;
    private readonly ulong seed;
    private Generator? generator;

    public DropoutMasks(long seed)
    {
        this.seed = unchecked((ulong)seed);
    }

    /// <summary>Whether <paramref name="layer"/> is a dropout layer this class can make stochastic.</summary>
    public static bool IsDropout(nn.Module layer) =>
        layer is Dropout or Dropout1d or Dropout2d or Dropout3d or AlphaDropout or FeatureAlphaDropout;

    /// <summary>The layer's output with training-mode dropout applied, or <see langword="null"/> to keep it (p = 0).</summary>
    public Tensor? Apply(nn.Module layer, Tensor output)
    {
        var (p, perChannel, alpha) = layer switch
        {
            Dropout d => (d.p, false, false),
            Dropout1d d => (d.p, true, false),
            Dropout2d d => (d.p, true, false),
            Dropout3d d => (d.p, true, false),
            AlphaDropout d => (d.p, false, true),
            FeatureAlphaDropout d => (d.p, true, true),
            _ => throw new InvalidOperationException($"{layer.GetType().Name} is not a dropout layer."),
        };
        if (p == 0)
        {
            return null;
        }

        if (p >= 1)
        {
            return torch.zeros_like(output);
        }

        using var scope = torch.NewDisposeScope();
        generator ??= new Generator(seed, output.device);
        var shape = (long[])output.shape.Clone();
        if (perChannel && shape.Length > 2)
        {
            for (var d = 2; d < shape.Length; d++)
            {
                shape[d] = 1;
            }
        }

        var mask = torch.empty(shape, output.dtype, output.device).bernoulli_(1 - p, generator);
        if (!alpha)
        {
            return output.mul(mask.div_(1 - p)).MoveToOuterDisposeScope();
        }

        var a = AlphaScale(p);
        var b = mask.add(-1).mul_(SeluAlpha * a).add_(SeluAlpha * a * p);
        return output.mul(mask.mul_(a)).add_(b).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        generator?.Dispose();
    }

    private static double AlphaScale(double p) => 1.0 / Math.Sqrt((SeluAlpha * SeluAlpha * p + 1) * (1 - p));
}
