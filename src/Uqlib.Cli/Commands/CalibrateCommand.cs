using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json.Nodes;
using Uqlib.Calibration;
using Uqlib.Cli.Io;
using Uqlib.Interop;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary><c>uqlib calibrate fit|apply</c>: fit a post-hoc calibrator on validation logits and save it; apply a saved one.</summary>
internal static class CalibrateCommand
{
    private static readonly string[] Methods = ["temperature", "vector", "matrix", "platt", "isotonic", "histogram"];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("calibrate", "Fit a post-hoc calibrator on validation logits and save it (fit); apply a saved calibrator (apply).");
        command.Add(Fit(output, error));
        command.Add(Apply(output, error));
        return command;
    }

    /// <summary>ECE, NLL and Brier of probabilities against labels, as a JSON object.</summary>
    public static JsonObject Metrics(Tensor probabilities, Tensor labels) => new()
    {
        ["ece"] = CalibrationMetrics.Ece(probabilities, labels),
        ["nll"] = CalibrationMetrics.NegativeLogLikelihood(probabilities, labels),
        ["brier"] = CalibrationMetrics.BrierScore(probabilities, labels),
    };

    private static Command Fit(TextWriter output, TextWriter error)
    {
        var logits = CommonOptions.Array("--logits", "Validation logits, (N, C)");
        var labels = CommonOptions.Array("--labels", "Validation labels, (N), class indices");
        var method = new Option<string>("--method", "-m")
        {
            Description = "The calibrator: temperature (Guo et al. 2017), vector, matrix, platt (binary), isotonic or histogram.",
            DefaultValueFactory = _ => "temperature",
        };
        method.AcceptOnlyFromAmong(Methods);
        var save = CommonOptions.Output("The fitted calibrator, in Uqlib's saved-file envelope (load it with 'uqlib calibrate apply' or the library's Load).");
        var npz = CommonOptions.File("--npz", "Also write the fitted parameters as .npz for Python (temperature, vector, matrix, platt).", required: false);
        var command = new Command("fit", CommonOptions.Describe(
            "Fits a post-hoc calibrator on validation logits and labels, saves it, and prints ECE, NLL and Brier before and after on the fitting set.",
            "uqlib calibrate fit --logits val_logits.npy --labels val_labels.npy --output temperature.uqlib",
            "uqlib calibrate fit --logits outputs.npz:val_logits --labels val.csv:label --method vector -o vector.uqlib --json"))
        {
            logits, labels, method, save, npz,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var x = ArrayInput.ReadMatrix(parse.GetValue(logits)!, "--logits", "cases, classes");
            var y = ArrayInput.ReadLabels(parse.GetValue(labels)!, "--labels", (int)x.shape[1]);
            ArrayInput.SameCases(("--logits", x), ("--labels", y));
            var name = parse.GetValue(method)!;
            context.Progress($"fitting {name} calibration on {x.shape[0]} cases");
            ICalibrator calibrator = name switch
            {
                "vector" => VectorScaling.Fit(x, y),
                "matrix" => MatrixScaling.Fit(x, y),
                "platt" => PlattScaling.Fit(x, y),
                "isotonic" => IsotonicCalibration.Fit(x, y),
                "histogram" => HistogramBinning.Fit(x, y),
                _ => TemperatureScaling.Fit(x, y),
            };
            using var disposeCalibrator = calibrator as System.IDisposable;
            var path = parse.GetValue(save)!;
            OutputFiles.Run(path, "--output", () => calibrator.Save(path));
            if (parse.GetValue(npz) is string npzPath)
            {
                OutputFiles.Run(npzPath, "--npz", () =>
                {
                    switch (calibrator)
                    {
                        case TemperatureScaling t: NpzExport.Write(npzPath, t); break;
                        case VectorScaling v: NpzExport.Write(npzPath, v); break;
                        case MatrixScaling m: NpzExport.Write(npzPath, m); break;
                        case PlattScaling p: NpzExport.Write(npzPath, p); break;
                        default: throw CliException.Input("--npz", $"a {calibrator.GetType().Name} has no .npz export (temperature, vector, matrix and platt do)");
                    }
                });
            }

            var before = Metrics(x.softmax(1), y);
            var after = Metrics(calibrator.Transform(x), y);
            var text = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"{calibrator} saved to {path}")
                .AppendLine(CultureInfo.InvariantCulture, $"{"fitting set",-12} {"ECE",8} {"NLL",8} {"Brier",8}")
                .AppendLine(Row("raw", before))
                .AppendLine(Row("calibrated", after))
                .ToString();
            context.Result(new JsonObject
            {
                ["calibrator"] = calibrator.ToString(),
                ["method"] = name,
                ["cases"] = x.shape[0],
                ["output"] = Path.GetFullPath(path),
                ["before"] = before,
                ["after"] = after,
            }, text);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Apply(TextWriter output, TextWriter error)
    {
        var calibratorFile = CommonOptions.File("--calibrator", "A calibrator saved by 'uqlib calibrate fit' (or the library's Save).");
        var logits = CommonOptions.Array("--logits", "Logits to calibrate, (N, C)");
        var labels = CommonOptions.Array("--labels", "Labels, (N): when given, ECE, NLL and Brier before and after are printed", required: false);
        var save = CommonOptions.Output("The calibrated probabilities, (N, C), as .npy.");
        var command = new Command("apply", CommonOptions.Describe(
            "Applies a saved calibrator to logits and writes the calibrated probabilities as .npy.",
            "uqlib calibrate apply --calibrator temperature.uqlib --logits test_logits.npy --output test_probabilities.npy",
            "uqlib calibrate apply --calibrator temperature.uqlib --logits test_logits.npy --labels test_labels.npy -o p.npy --json"))
        {
            calibratorFile, logits, labels, save,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var calibrator = SavedFiles.LoadCalibrator(parse.GetValue(calibratorFile)!, "--calibrator");
            using var disposeCalibrator = calibrator as System.IDisposable;
            var x = ArrayInput.ReadMatrix(parse.GetValue(logits)!, "--logits", "cases, classes");
            if (x.shape[1] != calibrator.Classes)
            {
                throw CliException.Input("--logits", $"has {x.shape[1]} classes but the calibrator was fitted on {calibrator.Classes}");
            }

            context.Progress($"applying {calibrator} to {x.shape[0]} cases");
            var probabilities = calibrator.Transform(x);
            var path = parse.GetValue(save)!;
            OutputFiles.Run(path, "--output", () => Npy.Write(path, probabilities));
            var json = new JsonObject { ["calibrator"] = calibrator.ToString(), ["cases"] = x.shape[0], ["output"] = Path.GetFullPath(path) };
            var text = new StringBuilder().AppendLine(CultureInfo.InvariantCulture, $"{calibrator}: wrote {x.shape[0]} calibrated rows to {path}");
            if (parse.GetValue(labels) is string labelsSpec)
            {
                var y = ArrayInput.ReadLabels(labelsSpec, "--labels", (int)x.shape[1]);
                ArrayInput.SameCases(("--logits", x), ("--labels", y));
                var before = Metrics(x.softmax(1), y);
                var after = Metrics(probabilities, y);
                json["before"] = before;
                json["after"] = after;
                text.AppendLine(CultureInfo.InvariantCulture, $"{string.Empty,-12} {"ECE",8} {"NLL",8} {"Brier",8}").AppendLine(Row("raw", before)).AppendLine(Row("calibrated", after));
            }

            context.Result(json, text.ToString());
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Row(string name, JsonObject m) => string.Create(
        CultureInfo.InvariantCulture,
        $"{name,-12} {(double)m["ece"]!,8:F4} {(double)m["nll"]!,8:F4} {(double)m["brier"]!,8:F4}");
}
