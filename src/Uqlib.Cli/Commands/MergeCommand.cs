using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Uqlib.Augmentation;
using Uqlib.Cli.Io;
using Uqlib.Interop;
using Uqlib.Latent;
using Uqlib.Sharding;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary>
/// <c>uqlib merge</c>: combines the partial states of <c>--shard</c> runs exactly, through the library's own merges — score shards by
/// case index, feature statistics by the pairwise update of Chan, Golub and LeVeque, kNN top-k lists by the top-k of the union,
/// candidate caches by validation case.
/// </summary>
internal static class MergeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var parts = new Argument<string[]>("partials") { Description = "The partial states of one pass, one per shard, in any order (all of one kind).", Arity = ArgumentArity.OneOrMore };
        var save = CommonOptions.Output(
            "The merged result: .npy for score shards (the rows in case order) and kNN top-k lists (the scores); a fitted detector for " +
            "feature statistics; a candidate cache for candidate-cache shards.");
        var detector = new Option<string>("--detector") { Description = "Feature statistics: the detector to fit from them, mahalanobis or relative-mahalanobis.", DefaultValueFactory = _ => "mahalanobis" };
        detector.AcceptOnlyFromAmong("mahalanobis", "relative-mahalanobis");
        var total = new Option<long?>("--total") { Description = "Score shards: the number of cases of the whole pass, so that a missing shard is an error." };
        var command = new Command("merge", CommonOptions.Describe(
            "Merges the partial states written by --shard runs into the single-process result, exactly.",
            "uqlib merge --output test_scores.npy --total 300 parts/scores_*.uqlib",
            "uqlib merge --output mahalanobis.uqlib parts/statistics_*.uqlib",
            "uqlib merge --output knn_scores.npy parts/knn_*.uqlib"))
        {
            parts, save, detector, total,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var files = parse.GetValue(parts)!;
            var kinds = files.Select(f => SavedFiles.Kind(f, "partials")).Distinct().ToList();
            if (kinds.Count > 1)
            {
                throw CliException.Input("partials", $"the partial states are of different kinds ({string.Join(", ", kinds)}): merge one pass at a time");
            }

            var path = parse.GetValue(save)!;
            var progress = context.PassProgress("merge");
            context.Progress($"merging {files.Length} {kinds[0]} partial states");
            string description;
            switch (kinds[0])
            {
                case nameof(ScoreShard):
                    description = MergeScores(files, parse.GetValue(total), path, progress, context);
                    break;
                case nameof(FeatureStatisticsAccumulator):
                    description = MergeStatistics(files, parse.GetValue(detector)!, path, context);
                    break;
                case nameof(KnnTopK):
                    description = MergeKnn(files, path, progress, context);
                    break;
                case nameof(CandidateCache):
                    description = MergeCaches(files, path, progress, context);
                    break;
                default:
                    throw CliException.Input("partials", $"'{files[0]}' holds a {kinds[0]}, which is not a partial state of a sharded pass");
            }

            context.Result(
                new JsonObject { ["kind"] = kinds[0], ["partials"] = files.Length, ["merged"] = description, ["output"] = Path.GetFullPath(path) },
                $"merged {files.Length} {kinds[0]} partial states: {description}; written to {path}\n");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string MergeScores(string[] files, long? total, string path, IProgress<EstimationProgress> progress, CliContext context)
    {
        var shards = files.Select(ScoreShard.Load).ToList();
        try
        {
            using var merged = ScoreShard.Merge(shards, total, progress, context.CancellationToken);
            using var values = merged.Values;
            OutputFiles.Run(path, "--output", () => Npy.Write(path, values));
            return merged.ToString();
        }
        finally
        {
            shards.ForEach(s => s.Dispose());
        }
    }

    private static string MergeStatistics(string[] files, string detector, string path, CliContext context)
    {
        using var merged = FeatureStatisticsAccumulator.Load(files[0]);
        foreach (var file in files.Skip(1))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            using var part = FeatureStatisticsAccumulator.Load(file);
            merged.Merge(part);
        }

        using var statistics = merged.ToStatistics();
        if (detector == "relative-mahalanobis")
        {
            using var relative = RelativeMahalanobisDetector.FromStatistics(statistics);
            OutputFiles.Run(path, "--output", () => relative.Save(path));
            return relative.ToString() ?? nameof(RelativeMahalanobisDetector);
        }

        using var mahalanobis = MahalanobisDetector.FromStatistics(statistics);
        OutputFiles.Run(path, "--output", () => mahalanobis.Save(path));
        return mahalanobis.ToString() ?? nameof(MahalanobisDetector);
    }

    private static string MergeKnn(string[] files, string path, IProgress<EstimationProgress> progress, CliContext context)
    {
        var parts = files.Select(KnnTopK.Load).ToList();
        try
        {
            using var merged = KnnTopK.Merge(parts, progress, context.CancellationToken);
            using var scores = merged.Scores().to(ScalarType.Float64);
            OutputFiles.Run(path, "--output", () => Npy.Write(path, scores));
            return merged.ToString();
        }
        finally
        {
            parts.ForEach(p => p.Dispose());
        }
    }

    private static string MergeCaches(string[] files, string path, IProgress<EstimationProgress> progress, CliContext context)
    {
        var caches = new List<CandidateCache>();
        try
        {
            caches.AddRange(files.Select(CandidateCache.Load));
            using var merged = CandidateCache.Merge(caches, progress, context.CancellationToken);
            OutputFiles.Run(path, "--output", () => merged.Save(path));
            return merged.ToString();
        }
        finally
        {
            caches.ForEach(c => c.Dispose());
        }
    }
}
