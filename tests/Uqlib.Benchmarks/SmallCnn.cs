using System.Collections.Generic;
using TorchSharp;
using Uqlib.Models;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Uqlib.Benchmarks;

/// <summary>The benchmarks' small CNN on (1 × 28 × 28) images: conv 8 → pool → conv 16 → pool → linear 10, as Peers/small_cnn.py builds it for the peers.</summary>
internal static class SmallCnn
{
    /// <summary>Makes the CNN with weights drawn from seed 100 + <paramref name="seed"/>; its weights are added to <paramref name="weights"/> for the caller to dispose.</summary>
    public static IModel Create(int seed, List<Tensor> weights, ModelOptions? options = null)
    {
        var generator = torch.manual_seed(100 + seed);
        var w1 = torch.randn(new long[] { 8, 1, 3, 3 }, generator: generator).mul_(0.3);
        var w2 = torch.randn(new long[] { 16, 8, 3, 3 }, generator: generator).mul_(0.1);
        var w3 = torch.randn(new long[] { 10, 16 * 7 * 7 }, generator: generator).mul_(0.03);
        weights.AddRange(new[] { w1, w2, w3 });
        return new DelegateModel(
            x =>
            {
                using var scope = torch.NewDisposeScope();
                var h = max_pool2d(relu(conv2d(x, w1, padding: new long[] { 1, 1 })), 2);
                h = max_pool2d(relu(conv2d(h, w2, padding: new long[] { 1, 1 })), 2);
                return linear(h.flatten(1), w3).MoveToOuterDisposeScope();
            },
            OutputKind.MulticlassLogits,
            options);
    }
}
