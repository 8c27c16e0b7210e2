using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Sharding;
using Uqlib.Tests.TestSupport;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>
/// The cost model of docs/scale.md: a pass over 10⁶ cases split into 4 shards, each shard job and the merge job run as separate processes
/// (as Slurm array tasks and the merge job would), with each job's resident high-water mark over its whole life and its wall time.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/Uqlib.Benchmarks -- --shard-merge-rows</c> (Linux: it reads /proc). Data are seeded random features.</remarks>
internal static class ShardMergeRows
{
    public const string Flag = "--shard-merge-rows";
    private const int Shards = 4;
    private const long Cases = 1_000_000;
    private const int Classes = 10;
    private const long FeatureDimension = 256;
    private const long BankDimension = 64;
    private const long Queries = 10_000;
    private const int K = 50;

    public static void Print()
    {
        var directory = Directory.CreateTempSubdirectory("uqlib-shards-").FullName;
        try
        {
            Console.WriteLine("| job | peak RSS (MiB) | wall (s) |");
            Console.WriteLine("|---|---|---|");
            Row("nothing (a process with libtorch loaded)", Idle);
            for (var i = 0; i < Shards; i++)
            {
                Row($"scores: shard {i}/4 saves 250,000 float64 scores", ScoreShardJob, directory, i.ToString(CultureInfo.InvariantCulture));
            }

            Row("scores: merge of 4 shards (10^6 cases)", ScoreMergeJob, directory);
            for (var i = 0; i < Shards; i++)
            {
                Row($"feature statistics: shard {i}/4 accumulates 250,000 × {FeatureDimension}, {Classes} classes", StatisticsShardJob, directory,
                    i.ToString(CultureInfo.InvariantCulture));
            }

            Row("feature statistics: merge of 4 + Mahalanobis fit (Ledoit–Wolf)", StatisticsMergeJob, directory);
            for (var i = 0; i < Shards; i++)
            {
                Row($"kNN: shard {i}/4 top-{K} of {Queries:N0} queries over 250,000 bank rows × {BankDimension}", KnnShardJob, directory,
                    i.ToString(CultureInfo.InvariantCulture));
            }

            Row($"kNN: merge of 4 top-{K} states + scores", KnnMergeJob, directory);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    internal static void Idle(string[] arguments)
    {
        torch.set_num_threads(1);
        torch.ones(1).Dispose();
    }

    internal static void ScoreShardJob(string[] arguments)
    {
        var (directory, index) = (arguments[0], int.Parse(arguments[1], CultureInfo.InvariantCulture));
        var (start, end) = ShardSpec.Of(index, Shards).CasesOf(Cases);
        using var generator = new Generator((ulong)index + 1);
        using var scores = torch.rand(end - start, ScalarType.Float64, generator: generator);
        using var shard = ScoreShard.Create(scores, start);
        shard.Save(Path.Combine(directory, $"scores-{index}.uqlib"));
    }

    internal static void ScoreMergeJob(string[] arguments)
    {
        var parts = Load(arguments[0], "scores", ScoreShard.Load);
        using var merged = ScoreShard.Merge(parts, Cases);
        parts.ForEach(p => p.Dispose());
        merged.Save(Path.Combine(arguments[0], "scores.uqlib"));
    }

    internal static void StatisticsShardJob(string[] arguments)
    {
        var (directory, index) = (arguments[0], int.Parse(arguments[1], CultureInfo.InvariantCulture));
        var (start, end) = ShardSpec.Of(index, Shards).CasesOf(Cases);
        using var accumulator = new FeatureStatisticsAccumulator(Classes);
        var generator = new Generator((ulong)index + 11);
        for (var from = start; from < end; from += 10_000)
        {
            using var scope = torch.NewDisposeScope();
            var n = Math.Min(10_000, end - from);
            var labels = torch.randint(0, Classes, new[] { n }, generator: generator);
            var features = torch.randn(new[] { n, FeatureDimension }, generator: generator).add_(labels.unsqueeze(1).to(ScalarType.Float32));
            accumulator.Add(features, labels);
        }

        accumulator.Save(Path.Combine(directory, $"statistics-{index}.uqlib"));
    }

    internal static void StatisticsMergeJob(string[] arguments)
    {
        var parts = Load(arguments[0], "statistics", FeatureStatisticsAccumulator.Load);
        for (var i = 1; i < parts.Count; i++)
        {
            parts[0].Merge(parts[i]);
        }

        using var statistics = parts[0].ToStatistics();
        parts.ForEach(p => p.Dispose());
        using var detector = MahalanobisDetector.FromStatistics(statistics, CovarianceMethod.LedoitWolf);
        detector.Save(Path.Combine(arguments[0], "mahalanobis.uqlib"));
    }

    internal static void KnnShardJob(string[] arguments)
    {
        var (directory, index) = (arguments[0], int.Parse(arguments[1], CultureInfo.InvariantCulture));
        var (start, end) = ShardSpec.Of(index, Shards).CasesOf(Cases);
        using var generator = new Generator((ulong)index + 21);
        using var bank = torch.randn(new[] { end - start, BankDimension }, generator: generator);
        using var generator2 = new Generator(99);
        using var queries = torch.randn(new[] { Queries, BankDimension }, generator: generator2);
        using var detector = KnnDetector.Fit(bank, new KnnOptions { K = K });
        using var state = KnnTopK.Compute(detector, queries, start);
        state.Save(Path.Combine(directory, $"knn-{index}.uqlib"));
    }

    internal static void KnnMergeJob(string[] arguments)
    {
        var parts = Load(arguments[0], "knn", KnnTopK.Load);
        using var merged = KnnTopK.Merge(parts);
        parts.ForEach(p => p.Dispose());
        using var scores = merged.Scores();
        using var shard = ScoreShard.Create(scores, 0);
        shard.Save(Path.Combine(arguments[0], "knn-scores.uqlib"));
    }

    private static List<T> Load<T>(string directory, string name, Func<string, T> load)
    {
        var parts = new List<T>();
        for (var i = 0; i < Shards; i++)
        {
            parts.Add(load(Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"{name}-{i}.uqlib"))));
        }

        return parts;
    }

    private static void Row(string work, Action<string[]> scenario, params string[] arguments)
    {
        var watch = Stopwatch.StartNew();
        var peak = PeakMemory.MeasureProcessMiB(scenario, arguments);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {work} | {peak:F0} | {watch.Elapsed.TotalSeconds:F1} |"));
    }
}
