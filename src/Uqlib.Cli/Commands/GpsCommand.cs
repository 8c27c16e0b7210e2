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
            "augmentation sub-policy) and saves which candidates the test-time augmentation policy averages.",
            "uqlib gps --cache candidates.npy --labels val_labels.npy --steps 10 --output gps.uqlib",
            "uqlib gps --cache cache.npz:log_probabilities --labels val_labels.npy -o gps.uqlib --json"))
        {
            cache, labels, steps, criterion, save,
        };
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

    private static bool IsSavedFile(string spec) =>
        !spec.EndsWith(".npy", System.StringComparison.OrdinalIgnoreCase) && !spec.Contains(".npz", System.StringComparison.OrdinalIgnoreCase)
        && !spec.Contains(".csv", System.StringComparison.OrdinalIgnoreCase) && SavedFiles.Kind(spec, "--cache") == nameof(CandidateCache);

    private sealed class StepProgress(CliContext context) : System.IProgress<GreedyPolicySearchStep>
    {
        public void Report(GreedyPolicySearchStep value) => context.Progress($"gps step: {value}");
    }
}
