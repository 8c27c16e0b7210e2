using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Text.Json.Nodes;
using Uqlib.Cli.Io;
using Uqlib.Interop;
using Uqlib.Latent;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary><c>uqlib ood fit|score</c>: latent-space out-of-distribution detectors on a model's features.</summary>
internal static class OodCommand
{
    private static readonly string[] Kinds = ["mahalanobis", "relative-mahalanobis", "knn", "vim"];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("ood", "Latent-space out-of-distribution detectors: fit one on training features and save it (fit); score new features with it (score).");
        command.Add(Fit(output, error));
        command.Add(Score(output, error));
        return command;
    }

    private static Command Fit(TextWriter output, TextWriter error)
    {
        var detector = new Option<string>("--detector", "-d")
        {
            Description = "mahalanobis (Lee et al. 2018), relative-mahalanobis (Ren et al. 2021), knn (Sun et al. 2022) or vim (Wang et al. 2022).",
            Required = true,
        };
        detector.AcceptOnlyFromAmong(Kinds);
        var features = CommonOptions.Array("--features", "Training features, (N, D)");
        var labels = CommonOptions.Array("--labels", "Training labels, (N), for mahalanobis and relative-mahalanobis", required: false);
        var classes = new Option<int?>("--classes") { Description = "The number of classes (default: the largest label + 1)." };
        var k = new Option<int>("--k") { Description = "kNN: the neighbour whose distance is the score, at least 1.", DefaultValueFactory = _ => 50 };
        var weight = CommonOptions.Array("--weight", "ViM: the classifier's last-layer weight, (C, D)", required: false);
        var bias = CommonOptions.Array("--bias", "ViM: the classifier's last-layer bias, (C)", required: false);
        var save = CommonOptions.Output("The fitted detector, in Uqlib's saved-file envelope.");
        var npz = CommonOptions.File("--npz", "Also write the fitted detector as .npz for Python.", required: false);
        var command = new Command("fit", CommonOptions.Describe(
            "Fits a latent-space OOD detector on training features and saves it.",
            "uqlib ood fit --detector mahalanobis --features train_features.npy --labels train_labels.npy --output mahalanobis.uqlib",
            "uqlib ood fit --detector knn --k 10 --features train_features.npy -o knn.uqlib --json"))
        {
            detector, features, labels, classes, k, weight, bias, save, npz,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var x = ArrayInput.ReadMatrix(parse.GetValue(features)!, "--features", "cases, feature dimensions");
            var kind = parse.GetValue(detector)!;
            var path = parse.GetValue(save)!;
            var npzPath = parse.GetValue(npz);
            context.Progress($"fitting {kind} on {x.shape[0]} cases of {x.shape[1]} dimensions");
            Detectors fitted;
            switch (kind)
            {
                case "knn":
                    var knn = KnnDetector.Fit(x, new KnnOptions { K = parse.GetValue(k) });
                    Save(path, npzPath, () => knn.Save(path), () => NpzExport.Write(npzPath!, knn));
                    fitted = Detectors.From(knn);
                    break;
                case "vim":
                    var w = ArrayInput.ReadMatrix(parse.GetValue(weight) ?? throw CliException.Input("--weight", "ViM needs the classifier's weight"), "--weight", "classes, feature dimensions");
                    var b = parse.GetValue(bias) is string biasSpec ? ArrayInput.ReadVector(biasSpec, "--bias", "one bias per class").to(w.dtype) : null;
                    var vim = VimDetector.Fit(x, w, b);
                    Save(path, npzPath, () => vim.Save(path), () => NpzExport.Write(npzPath!, vim));
                    fitted = Detectors.From(vim);
                    break;
                default:
                    var y = ArrayInput.ReadLabels(parse.GetValue(labels) ?? throw CliException.Input("--labels", $"{kind} needs the training labels"), "--labels");
                    ArrayInput.SameCases(("--features", x), ("--labels", y));
                    var c = parse.GetValue(classes) ?? (int)y.max().item<long>() + 1;
                    if (kind == "mahalanobis")
                    {
                        var m = MahalanobisDetector.Fit(x, y, c);
                        Save(path, npzPath, () => m.Save(path), () => NpzExport.Write(npzPath!, m));
                        fitted = Detectors.From(m);
                    }
                    else
                    {
                        var r = RelativeMahalanobisDetector.Fit(x, y, c);
                        Save(path, npzPath, () => r.Save(path), () => NpzExport.Write(npzPath!, r));
                        fitted = Detectors.From(r);
                    }

                    break;
            }

            using (fitted)
            {
                context.Result(
                    new JsonObject { ["detector"] = fitted.Description, ["cases"] = x.shape[0], ["output"] = Path.GetFullPath(path) },
                    $"{fitted.Description} saved to {path}\n");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Score(TextWriter output, TextWriter error)
    {
        var detectorFile = CommonOptions.File("--detector", "A detector saved by 'uqlib ood fit' (or the library's Save).");
        var features = CommonOptions.Array("--features", "Features to score, (N, D)");
        var save = CommonOptions.Output("The scores, (N) float64, higher = more out of distribution, as .npy.");
        var command = new Command("score", CommonOptions.Describe(
            "Scores features with a saved latent detector (higher = more out of distribution) and writes the scores as .npy.",
            "uqlib ood score --detector mahalanobis.uqlib --features test_features.npy --output mahalanobis_scores.npy",
            "uqlib evaluate --score Mahalanobis=mahalanobis_scores.npy --logits test_logits.npy --labels test_labels.npy"))
        {
            detectorFile, features, save,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            using var detector = Detectors.Load(parse.GetValue(detectorFile)!, "--detector");
            var x = ArrayInput.ReadMatrix(parse.GetValue(features)!, "--features", "cases, feature dimensions");
            context.Progress($"scoring {x.shape[0]} cases with {detector.Description}");
            var scores = detector.Score(x, "--features").to(ScalarType.Float64);
            var path = parse.GetValue(save)!;
            OutputFiles.Run(path, "--output", () => Npy.Write(path, scores));
            var mean = scores.numel() > 0 ? scores.mean().item<double>() : 0.0;
            context.Result(
                new JsonObject { ["detector"] = detector.Description, ["cases"] = x.shape[0], ["meanScore"] = mean, ["output"] = Path.GetFullPath(path) },
                string.Create(CultureInfo.InvariantCulture, $"{detector.Description}: {x.shape[0]} scores (mean {mean:G6}) written to {path}\n"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Save(string path, string? npzPath, System.Action save, System.Action export)
    {
        OutputFiles.Run(path, "--output", save);
        if (npzPath is not null)
        {
            OutputFiles.Run(npzPath, "--npz", export);
        }
    }
}
