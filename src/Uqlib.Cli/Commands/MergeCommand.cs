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
            "feature statistics (with --detector vim: ViM's principal subspace, for 'uqlib ood vim-alpha') and for ViM's second-pass sums; " +
            "a candidate cache for candidate-cache shards.");
        var detector = new Option<string>("--detector")
        {
            Description = "Feature statistics: what to fit from them, mahalanobis, relative-mahalanobis or vim (the first of ViM's two passes; needs --weight).",
            DefaultValueFactory = _ => "mahalanobis",
        };
        detector.AcceptOnlyFromAmong("mahalanobis", "relative-mahalanobis", "vim");
        var weight = CommonOptions.Array("--weight", "--detector vim: the classifier's last-layer weight, (C, D)", required: false);
        var bias = CommonOptions.Array("--bias", "--detector vim: the classifier's last-layer bias, (C)", required: false);
        var principal = OodCommand.VimPrincipal();
        var total = new Option<long?>("--total") { Description = "Score shards: the number of cases of the whole pass, so that a missing shard is an error." };
        var command = new Command("merge", CommonOptions.Describe(
            "Merges the partial states written by --shard runs into the single-process result, exactly.",
            "uqlib merge --output test_scores.npy --total 300 parts/scores_*.uqlib",
            "uqlib merge --output mahalanobis.uqlib parts/statistics_*.uqlib",
            "uqlib merge --output knn_scores.npy parts/knn_*.uqlib",
            "uqlib merge --detector vim --weight fc_weight.npy --bias fc_bias.npy --output vim_subspace.uqlib parts/stats_*.uqlib",
            "uqlib merge --output vim.uqlib parts/alpha_*.uqlib"))
        {
            parts, save, detector, weight, bias, principal, total,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var files = parse.GetValue(parts)!;
            var kinds = files.Select(f => SavedFiles.Kind(f, "partials")).Distinct().ToList();
            if (kinds.Count > 1)
            {
                throw CliException.Input("partials", $"the partial states are of different kinds ({string.Join(", ", kinds)}): merge one pass at a time");
            }

            if (parse.GetValue(detector) != "vim" && (parse.GetValue(weight) ?? parse.GetValue(bias) ?? parse.GetValue(principal)?.ToString()) is not null)
            {
                throw CliException.Input(parse.GetValue(weight) is not null ? "--weight" : parse.GetValue(bias) is not null ? "--bias" : "--principal", "applies only with --detector vim");
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
                case nameof(FeatureStatisticsAccumulator) when parse.GetValue(detector) == "vim":
                    description = MergeVimSubspace(files, parse, weight, bias, principal, path, context);
                    break;
                case nameof(FeatureStatisticsAccumulator):
                    description = MergeStatistics(files, parse.GetValue(detector)!, path, context);
                    break;
                case nameof(VimAlphaAccumulator):
                    description = MergeVimAlpha(files, path, progress, context);
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
        using var statistics = MergedStatistics(files, context);
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

    /// <summary>The shards' feature statistics merged by Chan, Golub and LeVeque's pairwise update.</summary>
    private static FeatureStatistics MergedStatistics(string[] files, CliContext context)
    {
        using var merged = FeatureStatisticsAccumulator.Load(files[0]);
        foreach (var file in files.Skip(1))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            using var part = FeatureStatisticsAccumulator.Load(file);
            merged.Merge(part);
        }

        return merged.ToStatistics();
    }

    /// <summary>ViM's first pass: the principal subspace from the merged statistics, saved for every shard of the second pass.</summary>
    private static string MergeVimSubspace(string[] files, ParseResult parse, Option<string> weight, Option<string> bias, Option<int?> principal, string path, CliContext context)
    {
        var w = ArrayInput.ReadMatrix(parse.GetValue(weight) ?? throw CliException.Input("--weight", "--detector vim needs the classifier's weight"), "--weight", "classes, feature dimensions");
        var b = parse.GetValue(bias) is string biasSpec ? ArrayInput.ReadVector(biasSpec, "--bias", "one bias per class").to(w.dtype) : null;
        using var statistics = MergedStatistics(files, context);
        if (w.shape[1] != statistics.Dimension)
        {
            throw CliException.Input("--weight", $"has {w.shape[1]} feature dimensions but the statistics have {statistics.Dimension}");
        }

        using var subspace = VimAlphaAccumulator.FromStatistics(statistics, w, b, new VimOptions { PrincipalDimension = parse.GetValue(principal) });
        OutputFiles.Run(path, "--output", () => subspace.Save(path));
        return $"{subspace} (ViM's principal subspace: run 'uqlib ood vim-alpha --subspace {path}' on every shard)";
    }

    /// <summary>ViM's second pass: the shards' sums added, and the detector fitted from them.</summary>
    private static string MergeVimAlpha(string[] files, string path, IProgress<EstimationProgress> progress, CliContext context)
    {
        using var merged = VimAlphaAccumulator.Load(files[0]);
        foreach (var file in files.Skip(1))
        {
            using var part = VimAlphaAccumulator.Load(file);
            merged.Merge(part, progress, context.CancellationToken);
        }

        if (merged.Count != merged.SubspaceCount)
        {
            throw CliException.Input("partials", $"the ViM second-pass shards cover {merged.Count} features but the subspace was computed from {merged.SubspaceCount}: a shard is missing or given twice");
        }

        using var vim = merged.ToDetector();
        OutputFiles.Run(path, "--output", () => vim.Save(path));
        return vim.ToString();
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
