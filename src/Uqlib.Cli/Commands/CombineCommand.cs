using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Uqlib.Cli.Io;
using Uqlib.Combination;
using Uqlib.Interop;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary><c>uqlib combine fit|apply</c>: one uncertainty score from several (rank, z-score or logistic combination).</summary>
internal static class CombineCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("combine", "Combine several uncertainty scores into one: fit a combiner on validation scores (fit); apply it (apply).");
        command.Add(Fit(output, error));
        command.Add(Apply(output, error));
        return command;
    }

    private static Dictionary<string, Tensor> ReadScores(ParseResult parse, Option<string[]> option)
    {
        var scores = new Dictionary<string, Tensor>();
        foreach (var (name, spec) in CommonOptions.SplitNamed(parse.GetValue(option), option.Name))
        {
            scores[name] = ArrayInput.ReadVector(spec, option.Name, "one score per case");
        }

        ArrayInput.SameCases(scores.Select(p => ($"{option.Name} {p.Key}", p.Value)).ToArray());
        return scores;
    }

    private static Command Fit(TextWriter output, TextWriter error)
    {
        var scores = CommonOptions.NamedArrays("--score", "A validation score per case, higher = more uncertain");
        var method = new Option<string>("--method") { Description = "rank (mean rank), zscore (mean z-score) or logistic (a logistic model of failure; needs --failures).", DefaultValueFactory = _ => "rank" };
        method.AcceptOnlyFromAmong("rank", "zscore", "logistic");
        var failures = CommonOptions.Array("--failures", "Validation failures, (N), for --method logistic", required: false);
        var save = CommonOptions.Output("The fitted combiner, in Uqlib's saved-file envelope.");
        var command = new Command("fit", CommonOptions.Describe(
            "Fits a combiner of several uncertainty scores on validation cases and saves it.",
            "uqlib combine fit --score MSP=val_msp.npy --score kNN=val_knn.npy --method rank --output combiner.uqlib",
            "uqlib combine fit --score MSP=val_msp.npy --score kNN=val_knn.npy --method logistic --failures val_failures.npy -o combiner.uqlib"))
        {
            scores, method, failures, save,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var named = ReadScores(parse, scores);
            var kind = parse.GetValue(method)!;
            context.Progress($"fitting a {kind} combiner of {named.Count} scores");
            ICombiner combiner = kind switch
            {
                "zscore" => ZScoreCombiner.Fit(named),
                "logistic" => LogisticCombiner.Fit(named, Failed(parse, failures, named)),
                _ => RankCombiner.Fit(named),
            };
            var path = parse.GetValue(save)!;
            OutputFiles.Run(path, "--output", () => combiner.Save(path));
            context.Result(new JsonObject { ["combiner"] = combiner.ToString(), ["output"] = Path.GetFullPath(path) }, $"{combiner} saved to {path}\n");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Apply(TextWriter output, TextWriter error)
    {
        var combinerFile = CommonOptions.File("--combiner", "A combiner saved by 'uqlib combine fit'.");
        var scores = CommonOptions.NamedArrays("--score", "A score per case, under the names the combiner was fitted with");
        var save = CommonOptions.Output("The combined score, (N) float64, as .npy.");
        var command = new Command("apply", CommonOptions.Describe(
            "Combines scores with a saved combiner and writes the combined score as .npy.",
            "uqlib combine apply --combiner combiner.uqlib --score MSP=test_msp.npy --score kNN=test_knn.npy --output combined.npy"))
        {
            combinerFile, scores, save,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var combiner = SavedFiles.LoadCombiner(parse.GetValue(combinerFile)!, "--combiner");
            var named = ReadScores(parse, scores);
            var missing = combiner.Methods.Where(m => !named.ContainsKey(m)).ToList();
            if (missing.Count > 0)
            {
                throw CliException.Input("--score", $"the combiner needs {string.Join(", ", combiner.Methods)}; missing {string.Join(", ", missing)}");
            }

            var combined = combiner.Combine(named).to(ScalarType.Float64);
            var path = parse.GetValue(save)!;
            OutputFiles.Run(path, "--output", () => Npy.Write(path, combined));
            context.Result(
                new JsonObject { ["combiner"] = combiner.ToString(), ["cases"] = combined.shape[0], ["output"] = Path.GetFullPath(path) },
                $"{combiner}: {combined.shape[0]} combined scores written to {path}\n");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Tensor Failed(ParseResult parse, Option<string> failures, Dictionary<string, Tensor> named)
    {
        var failed = ArrayInput.ReadFailures(parse.GetValue(failures) ?? throw CliException.Input("--failures", "--method logistic needs the validation failures"), "--failures");
        ArrayInput.SameCases(named.Select(p => ($"--score {p.Key}", p.Value)).Prepend(("--failures", failed)).ToArray());
        return failed;
    }
}
