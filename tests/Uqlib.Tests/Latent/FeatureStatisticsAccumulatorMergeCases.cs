using System;
using System.Collections.Generic;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Sharding;
using static TorchSharp.torch;

namespace Uqlib.Tests.Latent;

/// <summary>
/// Seeded labelled features with a large common mean (10⁴ times their spread) split into <see cref="ShardSpec"/> blocks, each streamed in
/// uneven batches: the sharded run the merge tests compare with the single-process run.
/// </summary>
internal static class FeatureStatisticsAccumulatorMergeCases
{
    public const int Classes = 3;
    public const long Count = 2400;
    public const long Dimension = 6;

    /// <summary>Features <c>(2400, 6)</c>, float64: class-dependent means and correlations, plus <paramref name="offset"/> (10⁴ by default) on every coordinate.</summary>
    public static Tensor Features(double offset = 1e4)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(2020);
        var noise = torch.randn(new long[] { Count, Dimension }, dtype: ScalarType.Float64, generator: generator);
        var mixing = torch.randn(new long[] { Dimension, Dimension }, dtype: ScalarType.Float64, generator: generator).mul_(0.5)
            .add_(torch.eye(Dimension, dtype: ScalarType.Float64));
        var classMeans = torch.randn(new long[] { Classes, Dimension }, dtype: ScalarType.Float64, generator: generator).mul_(3.0);
        return noise.matmul(mixing).add_(classMeans.index_select(0, LabelsCore())).add_(offset).MoveToOuterDisposeScope();
    }

    /// <summary>Labels <c>(2400)</c>: classes of unequal sizes, shuffled.</summary>
    public static Tensor Labels()
    {
        return LabelsCore();
    }

    /// <summary>The single-process run: one accumulator, the whole set in batches of 250.</summary>
    public static FeatureStatisticsAccumulator Single(Tensor x, Tensor y, int classes = Classes)
    {
        var accumulator = new FeatureStatisticsAccumulator(classes);
        for (long start = 0; start < x.shape[0]; start += 250)
        {
            using var xs = x.narrow(0, start, Math.Min(250, x.shape[0] - start));
            using var ys = y.narrow(0, start, xs.shape[0]);
            accumulator.Add(xs, ys);
        }

        return accumulator;
    }

    /// <summary>Shard i of n: its block of cases streamed in batches of 97.</summary>
    public static FeatureStatisticsAccumulator Shard(Tensor x, Tensor y, int index, int count, int classes = Classes)
    {
        var (start, end) = ShardSpec.Of(index, count).CasesOf(x.shape[0]);
        var accumulator = new FeatureStatisticsAccumulator(classes);
        for (var from = start; from < end; from += 97)
        {
            using var xs = x.narrow(0, from, Math.Min(97, end - from));
            using var ys = y.narrow(0, from, xs.shape[0]);
            accumulator.Add(xs, ys);
        }

        return accumulator;
    }

    /// <summary>The n shards' accumulators.</summary>
    public static List<FeatureStatisticsAccumulator> Shards(Tensor x, Tensor y, int count)
    {
        var shards = new List<FeatureStatisticsAccumulator>();
        for (var i = 0; i < count; i++)
        {
            shards.Add(Shard(x, y, i, count));
        }

        return shards;
    }

    /// <summary>The statistics of the single-process run and of the four shards merged in order, for features shifted by <paramref name="offset"/>.</summary>
    public static (FeatureStatistics Single, FeatureStatistics Merged) SingleAndMerged(double offset)
    {
        using var x = Features(offset);
        using var y = Labels();
        using var single = Single(x, y);
        var shards = Shards(x, y, 4);
        try
        {
            for (var i = 1; i < shards.Count; i++)
            {
                shards[0].Merge(shards[i]);
            }

            return (single.ToStatistics(), shards[0].ToStatistics());
        }
        finally
        {
            shards.ForEach(s => s.Dispose());
        }
    }

    /// <summary>max |a − b| / max |b|.</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = torch.NewDisposeScope();
        return actual.sub(expected).abs().max().ToDouble() / expected.abs().max().ToDouble();
    }

    private static Tensor LabelsCore()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(2021);
        var labels = torch.cat(new[]
        {
            torch.zeros(1200, ScalarType.Int64), torch.ones(800, ScalarType.Int64), torch.full(400, 2L, ScalarType.Int64),
        });
        return labels.index_select(0, torch.randperm(Count, generator: generator)).MoveToOuterDisposeScope();
    }
}
