using System;
using System.Collections.Generic;
using System.IO;
using TorchSharp;
using Uqlib.Latent;
using Uqlib.Sharding;
using static TorchSharp.torch;

namespace Uqlib.Samples.Docs;

/// <summary>The examples of docs/scale.md: the shard jobs and the merge jobs of a pass split over 4 shards, run here one after another.</summary>
internal static class Scale
{
    public static void Run()
    {
        var folder = Path.Combine(Path.GetTempPath(), "uqlib-docs-scale-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = folder;
        try
        {
            using var features = torch.randn(new long[] { 4000, 16 }, generator: torch.manual_seed(20));
            using var labels = torch.randint(0, 3, new long[] { 4000 }, generator: torch.manual_seed(21));
            using var queries = torch.randn(new long[] { 500, 16 }, generator: torch.manual_seed(22));
            for (var i = 0; i < 4; i++)
            {
                StatisticsShard(ShardSpec.Parse($"{i}/4"), features, labels);
                KnnShard(ShardSpec.Parse($"{i}/4"), features, queries);
                ScoreShardJob(ShardSpec.Parse($"{i}/4"), queries);
            }

            StatisticsMerge(queries);
            KnnMerge();
            ScoresMerge();
        }
        finally
        {
            Environment.CurrentDirectory = previous;
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void StatisticsShard(ShardSpec shard, Tensor features, Tensor labels)
    {
        #region docs:scale-statistics-shard
        // One shard job, e.g. Slurm array task i of n: --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT"
        var (start, end) = shard.CasesOf(features.shape[0]);               // this shard's block of training cases
        using var accumulator = new FeatureStatisticsAccumulator(classes: 3);
        for (var from = start; from < end; from += 256)                      // streamed in batches, as from a model
        {
            using var batch = features.narrow(0, from, Math.Min(256, end - from));
            using var batchLabels = labels.narrow(0, from, batch.shape[0]);
            accumulator.Add(batch, batchLabels);
        }

        accumulator.Save($"statistics-{shard.Index}.uqlib");                // atomic; the envelope every saved file uses
        #endregion
    }

    private static void StatisticsMerge(Tensor queries)
    {
        #region docs:scale-statistics-merge
        // The merge job, after every shard job succeeded (Slurm: --dependency=afterok:<array job id>).
        using var merged = FeatureStatisticsAccumulator.Load("statistics-0.uqlib");
        for (var i = 1; i < 4; i++)
        {
            using var shard = FeatureStatisticsAccumulator.Load($"statistics-{i}.uqlib");
            merged.Merge(shard);                                              // Chan, Golub & LeVeque's pairwise update
        }

        using var statistics = merged.ToStatistics();
        using var detector = MahalanobisDetector.FromStatistics(statistics, CovarianceMethod.LedoitWolf);
        detector.Save("mahalanobis.uqlib");                                   // the single-process fit, to 1e-10
        #endregion
        using var scores = detector.Score(queries);
        Console.WriteLine($"scale: merged {statistics.Count} cases from 4 shards; mean Mahalanobis score {scores.mean().ToDouble():F2}");
    }

    private static void KnnShard(ShardSpec shard, Tensor bank, Tensor queries)
    {
        #region docs:scale-knn-shard
        // The kNN bank split over shards: each shard holds its block of bank rows and keeps its top k per query.
        var (start, end) = shard.CasesOf(bank.shape[0]);
        using var rows = bank.narrow(0, start, end - start);
        using var detector = KnnDetector.Fit(rows, new KnnOptions { K = 50 });   // no BankSize sub-sampling: the split is exact
        using var topK = KnnTopK.Compute(detector, queries, bankOffset: start);  // (N, k) distances and global row indices
        topK.Save($"knn-{shard.Index}.uqlib");
        #endregion
    }

    private static void KnnMerge()
    {
        #region docs:scale-knn-merge
        var parts = new List<KnnTopK>();
        for (var i = 0; i < 4; i++)
        {
            parts.Add(KnnTopK.Load($"knn-{i}.uqlib"));
        }

        using var merged = KnnTopK.Merge(parts);                              // the top k of the shards' top k
        parts.ForEach(part => part.Dispose());
        using var scores = merged.Scores();                                   // = KnnDetector.Score over the whole bank
        #endregion
        Console.WriteLine($"scale: kNN scores of {scores.shape[0]} queries from 4 bank shards");
    }

    private static void ScoreShardJob(ShardSpec shard, Tensor cases)
    {
        #region docs:scale-scores-shard
        var (start, end) = shard.CasesOf(cases.shape[0]);
        using var block = cases.narrow(0, start, end - start);
        using var scores = block.square().sum(1).to(ScalarType.Float64);     // any per-case output: scores, probabilities, …
        using var part = ScoreShard.Create(scores, firstCase: start);
        part.Save($"scores-{shard.Index}.uqlib");
        #endregion
    }

    private static void ScoresMerge()
    {
        #region docs:scale-scores-merge
        var shards = new List<ScoreShard>();
        for (var i = 0; i < 4; i++)
        {
            shards.Add(ScoreShard.Load($"scores-{i}.uqlib"));
        }

        using var all = ScoreShard.Merge(shards, totalCases: 500);            // case order; each case exactly once
        shards.ForEach(shard => shard.Dispose());
        using var scores = all.Values;
        #endregion
        Console.WriteLine($"scale: {scores.shape[0]} scores gathered in case order");
    }
}
