using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Text.Json.Nodes;
using Uqlib.Cli.Io;
using Uqlib.Conformal;
using Uqlib.Interop;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary><c>uqlib conformal fit|predict</c>: split-conformal prediction sets with a coverage guarantee.</summary>
internal static class ConformalCommand
{
    private static readonly string[] Scores = ["lac", "aps", "raps", "topk"];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("conformal", "Split-conformal prediction sets: calibrate on held-out cases and save (fit); predict sets for new cases (predict).");
        command.Add(Fit(output, error));
        command.Add(Predict(output, error));
        return command;
    }

    private static (Option<string> Logits, Option<string> Probabilities, Option<string> Calibrator) ProbabilityOptions() => (
        CommonOptions.Array("--logits", "Logits, (N, C), turned into probabilities by softmax (or --calibrator)", required: false),
        CommonOptions.Array("--probabilities", "Probabilities, (N, C), rows summing to 1 (instead of --logits)", required: false),
        CommonOptions.File("--calibrator", "A saved calibrator applied to --logits.", required: false));

    private static Tensor ReadProbabilities(ParseResult parse, (Option<string> Logits, Option<string> Probabilities, Option<string> Calibrator) options)
    {
        if (parse.GetValue(options.Probabilities) is string probabilitiesSpec)
        {
            return ArrayInput.ReadMatrix(probabilitiesSpec, "--probabilities", "cases, classes");
        }

        var logitsSpec = parse.GetValue(options.Logits) ?? throw CliException.Input("--logits", "give --logits or --probabilities");
        var logits = ArrayInput.ReadMatrix(logitsSpec, "--logits", "cases, classes");
        if (parse.GetValue(options.Calibrator) is string calibratorPath)
        {
            var calibrator = SavedFiles.LoadCalibrator(calibratorPath, "--calibrator");
            using var owner = calibrator as IDisposable;
            return calibrator.Transform(logits);
        }

        return logits.softmax(1);
    }

    private static Command Fit(TextWriter output, TextWriter error)
    {
        var inputs = ProbabilityOptions();
        var labels = CommonOptions.Array("--labels", "Calibration labels, (N)");
        var score = new Option<string>("--score") { Description = "The set score: lac (Sadinle et al. 2019), aps (Romano et al. 2020), raps (Angelopoulos et al. 2021) or topk.", DefaultValueFactory = _ => "lac" };
        score.AcceptOnlyFromAmong(Scores);
        var classConditional = new Option<bool>("--class-conditional") { Description = "Calibrate one threshold per class (Mondrian conformal)." };
        var clusters = CommonOptions.Array("--clusters", "Cluster ids of the calibration cases, (N): one case per cluster is used (exchangeable clusters)", required: false);
        var save = CommonOptions.Output("The fitted conformal classifier, in Uqlib's saved-file envelope.");
        var command = new Command("fit", CommonOptions.Describe(
            "Calibrates split-conformal prediction sets on held-out probabilities and labels, and saves the classifier.",
            "uqlib conformal fit --logits val_logits.npy --labels val_labels.npy --score aps --output conformal.uqlib",
            "uqlib conformal fit --logits val_logits.npy --calibrator temperature.uqlib --labels val_labels.npy -o conformal.uqlib"))
        {
            inputs.Logits, inputs.Probabilities, inputs.Calibrator, labels, score, classConditional, clusters, save,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var p = ReadProbabilities(parse, inputs);
            var y = ArrayInput.ReadLabels(parse.GetValue(labels)!, "--labels", (int)p.shape[1]);
            ArrayInput.SameCases(("--logits/--probabilities", p), ("--labels", y));
            Tensor? clusterIds = null;
            if (parse.GetValue(clusters) is string clustersSpec)
            {
                clusterIds = ArrayInput.ReadLabels(clustersSpec, "--clusters");
                ArrayInput.SameCases(("--labels", y), ("--clusters", clusterIds));
            }

            var options = new ConformalSetOptions
            {
                Score = parse.GetValue(score) switch { "aps" => SetScore.Aps, "raps" => SetScore.Raps, "topk" => SetScore.TopK, _ => SetScore.Lac },
                ClassConditional = parse.GetValue(classConditional),
            };
            context.Progress($"calibrating conformal sets on {p.shape[0]} cases");
            var classifier = ConformalClassifier.Fit(p, y, options, clusterIds);
            var path = parse.GetValue(save)!;
            OutputFiles.Run(path, "--output", () => classifier.Save(path));
            context.Result(
                new JsonObject { ["classifier"] = classifier.ToString(), ["cases"] = classifier.CalibrationCount, ["output"] = Path.GetFullPath(path) },
                $"{classifier} saved to {path}\n");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Predict(TextWriter output, TextWriter error)
    {
        var classifierFile = CommonOptions.File("--conformal", "A classifier saved by 'uqlib conformal fit'.");
        var inputs = ProbabilityOptions();
        var alpha = new Option<double>("--alpha") { Description = "The miscoverage level in (0, 1): sets hold the true class with probability at least 1 - alpha.", DefaultValueFactory = _ => 0.1 };
        var labels = CommonOptions.Array("--labels", "Labels, (N): when given, the empirical coverage is printed", required: false);
        var save = CommonOptions.Output("The prediction sets, (N, C) bool, as .npy.");
        var command = new Command("predict", CommonOptions.Describe(
            "Predicts conformal sets for new cases at level 1 - alpha and writes them as a boolean (N, C) .npy.",
            "uqlib conformal predict --conformal conformal.uqlib --logits test_logits.npy --alpha 0.1 --output sets.npy",
            "uqlib conformal predict --conformal conformal.uqlib --logits test_logits.npy --labels test_labels.npy -o sets.npy --json"))
        {
            classifierFile, inputs.Logits, inputs.Probabilities, inputs.Calibrator, alpha, labels, save,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var classifier = ConformalClassifier.Load(parse.GetValue(classifierFile) is string f && File.Exists(f)
                ? f
                : throw CliException.Input("--conformal", $"file not found: '{parse.GetValue(classifierFile)}'"));
            var p = ReadProbabilities(parse, inputs);
            if (p.shape[1] != classifier.ClassCount)
            {
                throw CliException.Input("--logits/--probabilities", $"has {p.shape[1]} classes but the classifier was fitted on {classifier.ClassCount}");
            }

            var a = parse.GetValue(alpha);
            context.Progress($"predicting sets for {p.shape[0]} cases at alpha = {a.ToString(CultureInfo.InvariantCulture)}");
            using var sets = classifier.Predict(p, a);
            var path = parse.GetValue(save)!;
            OutputFiles.Run(path, "--output", () => Npy.Write(path, sets.Sets));
            var json = new JsonObject { ["alpha"] = a, ["cases"] = sets.Count, ["meanSize"] = sets.MeanSize(), ["output"] = Path.GetFullPath(path) };
            var text = string.Create(CultureInfo.InvariantCulture, $"{sets.Count} sets at alpha = {a}: mean size {sets.MeanSize():F3}");
            if (parse.GetValue(labels) is string labelsSpec)
            {
                var y = ArrayInput.ReadLabels(labelsSpec, "--labels", (int)p.shape[1]);
                ArrayInput.SameCases(("--logits/--probabilities", p), ("--labels", y));
                var coverage = sets.Coverage(y);
                json["coverage"] = coverage;
                text += string.Create(CultureInfo.InvariantCulture, $", coverage {coverage:F3} (target {1 - a:F3})");
            }

            context.Result(json, text + $"; written to {path}\n");
            return ExitCodes.Success;
        });
        return command;
    }
}
