using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Uqlib.Augmentation;
using Uqlib.Cli.Io;

namespace Uqlib.Cli.Commands;

/// <summary><c>uqlib gps</c>: greedy policy search (Lyzhov et al. 2020) over a cache of candidate log-probabilities.</summary>
internal static class GpsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var cache = CommonOptions.Array("--cache", "The candidate cache: an array (K, N, C) of the log-probabilities of K augmentation candidates on N validation cases, or a CandidateCache file (the library's, or merged shards)");
        var labels = CommonOptions.Array("--labels", "Validation labels, (N); a CandidateCache file holds its own", required: false);
        var steps = new Option<int>("--steps") { Description = "Greedy steps (candidates picked, with repetition), at least 1.", DefaultValueFactory = _ => 20 };
        var criterion = new Option<string>("--criterion")
        {
            Description = "What each step maximises: calibrated-log-likelihood (the authors' choice), log-likelihood or accuracy.",
            DefaultValueFactory = _ => "calibrated-log-likelihood",
        };
        criterion.AcceptOnlyFromAmong("calibrated-log-likelihood", "log-likelihood", "accuracy");
        var save = CommonOptions.Output("The search result (selected candidates and temperature), in Uqlib's saved-file envelope.");
        var command = new Command("gps", CommonOptions.Describe(
            "Runs greedy policy search over a cache of candidate log-probabilities (each candidate: the model's log_softmax under one " +
            "augmentation sub-policy) and saves which candidates the test-time augmentation policy averages. 'uqlib gps cache' builds the " +
            "cache from a model over a labelled folder, in shards if need be.",
            "uqlib gps --cache candidates.npy --labels val_labels.npy --steps 10 --output gps.uqlib",
            "uqlib gps --cache cache.npz:log_probabilities --labels val_labels.npy -o gps.uqlib --json",
            "uqlib gps cache --model model.onnx --images val/ --shard $SLURM_ARRAY_TASK_ID/4 -o parts/cache_$SLURM_ARRAY_TASK_ID.uqlib && uqlib merge -o cache.uqlib parts/cache_*.uqlib && uqlib gps --cache cache.uqlib -o gps.uqlib"))
        {
            cache, labels, steps, criterion, save,
        };
        command.Add(Cache(output, error));
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var cacheSpec = parse.GetValue(cache)!;
            using var saved = IsSavedFile(cacheSpec) ? CandidateCache.Load(cacheSpec) : null;
            var logProbabilities = saved?.LogProbabilities ?? ArrayInput.Read(cacheSpec, "--cache");
            if (logProbabilities.dim() != 3)
            {
                throw CliException.Input("--cache", $"expected a 3-D array (candidates, cases, classes), found shape {ArrayInput.Shape(logProbabilities)}");
            }

            var y = saved?.Labels ?? ArrayInput.ReadLabels(
                parse.GetValue(labels) ?? throw CliException.Input("--labels", "an array cache needs the validation labels"), "--labels", (int)logProbabilities.shape[2]);
            if (y.shape[0] != logProbabilities.shape[1])
            {
                throw CliException.Input("--labels", $"has {y.shape[0]} cases but --cache has {logProbabilities.shape[1]}");
            }

            var options = new GreedyPolicySearchOptions
            {
                Steps = parse.GetValue(steps),
                Criterion = parse.GetValue(criterion) switch
                {
                    "log-likelihood" => PolicySearchCriterion.LogLikelihood,
                    "accuracy" => PolicySearchCriterion.Accuracy,
                    _ => PolicySearchCriterion.CalibratedLogLikelihood,
                },
            };
            var progress = new StepProgress(context);
            context.Progress($"searching {logProbabilities.shape[0]} candidates on {y.shape[0]} cases");
            var result = GreedyPolicySearch.Search(logProbabilities, y, options, progress, context.CancellationToken);
            var path = parse.GetValue(save)!;
            OutputFiles.Run(path, "--output", () => result.Save(path));
            var selected = new JsonArray(result.SelectedCandidates.Select(c => (JsonNode?)c).ToArray());
            context.Result(
                new JsonObject
                {
                    ["result"] = result.ToString(),
                    ["selectedCandidates"] = selected,
                    ["temperature"] = result.Temperature,
                    ["stoppedEarly"] = result.StoppedEarly,
                    ["output"] = Path.GetFullPath(path),
                },
                string.Create(CultureInfo.InvariantCulture, $"{result}\nselected candidates: {string.Join(", ", result.SelectedCandidates)}\nsaved to {path}\n"));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary><c>uqlib gps cache</c>: builds the candidate cache from a model over a labelled folder, optionally one shard of its cases.</summary>
    private static Command Cache(TextWriter output, TextWriter error)
    {
        var inputs = ImageInputs.Create();
        var pool = new Option<string>("--pool")
        {
            Description = "The candidates: medical (the library's medical pool: seeded sub-policies of intensity, noise, blur, bias-field and " +
                          "geometric operations) or cifar (Lyzhov et al.'s CIFAR pool).",
            DefaultValueFactory = _ => "medical",
        };
        pool.AcceptOnlyFromAmong("medical", "cifar");
        var candidates = new Option<int>("--candidates") { Description = "The medical pool's number of random sub-policies besides the identity, at least 1.", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--pool-seed") { Description = "The seed that draws the pool's sub-policies (every shard must use the same).", DefaultValueFactory = _ => 0 };
        var save = CommonOptions.Output("The candidate cache (log-probabilities (K, N, C) and labels), in Uqlib's saved-file envelope; with --shard, the shard's part.");
        var shard = ShardOption.Create(what: "validation cases in whole batches of --batch-size (i/n splits the batches; a range must start on a batch boundary), so that each case meets the same augmentation noise as in one process");
        var command = new Command("cache", CommonOptions.Describe(
            "Builds the candidate cache greedy policy search runs on (Lyzhov et al. 2020): the model's log-probabilities under every " +
            "candidate augmentation of the library's pool on a labelled validation folder. With --shard, covers only that part of the " +
            "cases; 'uqlib merge' joins the parts into the single-process cache. Costs one forward pass per candidate per case.",
            "uqlib gps cache --model model.onnx --images val/ --resize 64x64 --candidates 50 -o cache.uqlib",
            "uqlib gps cache --model model.onnx --images val/ --shard $SLURM_ARRAY_TASK_ID/4 -o parts/cache_$SLURM_ARRAY_TASK_ID.uqlib",
            "uqlib merge -o cache.uqlib parts/cache_*.uqlib && uqlib gps --cache cache.uqlib --steps 10 -o gps.uqlib"));
        inputs.AddTo(command);
        command.Add(pool);
        command.Add(candidates);
        command.Add(seed);
        command.Add(save);
        command.Add(shard);
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var count = parse.GetValue(candidates);
            if (count < 1)
            {
                throw CliException.Input("--candidates", $"must be at least 1; found {count}");
            }

            var images = inputs.Open(parse, context);
            var candidatePool = parse.GetValue(pool) == "cifar" ? CandidatePool.CifarLike(parse.GetValue(seed)) : CandidatePool.Medical(count, seed: parse.GetValue(seed));
            var part = ShardOption.Read(parse, shard);
            var (start, end) = part is { } p ? BatchAlignedRows(p, images.Dataset.Count, images.BatchSize) : (0L, images.Dataset.Count);
            var model = inputs.LoadModel(parse);
            using var ownsModel = model as System.IDisposable;
            context.Progress($"caching {candidatePool.Count} candidates on {images.What} {start} to {end - 1} of {images.Dataset.Count}");
            using var built = CandidateCache.Build(
                model, images.Batches((int)start, (int)end, context.CancellationToken), candidatePool, null, context.PassProgress("gps cache"), context.CancellationToken);
            var path = parse.GetValue(save)!;
            OutputFiles.Run(path, "--output", () => built.Save(path));
            var name = part?.ToString() ?? "all";
            context.Result(
                new JsonObject { ["shard"] = name, ["cache"] = built.ToString(), ["firstCase"] = start, ["endCase"] = end, ["output"] = Path.GetFullPath(path) },
                $"shard {name}: {built} saved to {path}{(part is null ? string.Empty : " (merge the shards with 'uqlib merge')")}\n");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// The cases of a shard on the single-process batch grid: a noise candidate draws its noise per batch, so a case gets the same draw only
    /// at the same place in the same batch; i/n splits the batches, and a range must start on a batch boundary.
    /// </summary>
    private static (long Start, long End) BatchAlignedRows(Sharding.ShardSpec shard, long total, int batchSize)
    {
        if (shard.IsRange)
        {
            var (start, end) = ShardOption.Rows(shard, total, "--shard");
            return start % batchSize == 0
                ? (start, end)
                : throw CliException.Input("--shard", $"the range {shard} must start on a batch boundary (a multiple of --batch-size {batchSize}) so that its cases get the single-process augmentation noise");
        }

        var (first, last) = ShardOption.Rows(shard, (total + batchSize - 1) / batchSize, "--shard");
        return (first * batchSize, System.Math.Min(last * batchSize, total));
    }

    private static bool IsSavedFile(string spec) =>
        !spec.EndsWith(".npy", System.StringComparison.OrdinalIgnoreCase) && !spec.Contains(".npz", System.StringComparison.OrdinalIgnoreCase)
        && !spec.Contains(".csv", System.StringComparison.OrdinalIgnoreCase) && SavedFiles.Kind(spec, "--cache") == nameof(CandidateCache);

    private sealed class StepProgress(CliContext context) : System.IProgress<GreedyPolicySearchStep>
    {
        public void Report(GreedyPolicySearchStep value) => context.Progress($"gps step: {value}");
    }
}
