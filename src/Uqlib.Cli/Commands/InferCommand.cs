using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using TorchSharp;
using Uqlib.Cli.Io;
using Uqlib.Imaging;
using Uqlib.Interop;
using Uqlib.Models;
using Uqlib.Onnx;
using Uqlib.Sharding;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary>
/// <c>uqlib infer</c>: the end-to-end path — runs an ONNX or TorchScript classifier over an image folder (one sub-folder per class) and
/// writes its logits, features and labels as .npy, ready for every other command.
/// </summary>
internal static class InferCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = CommonOptions.File("--model", "The classifier: .onnx (ONNX Runtime) or .pt (TorchScript), returning logits (N, C) and optionally features (N, D).");
        var images = new Option<string>("--images") { Description = "The image folder: one sub-folder per class (sorted names = class indices 0, 1, ...).", Required = true, HelpName = "DIR" };
        var resize = new Option<string?>("--resize") { Description = "Resize every image to WIDTHxHEIGHT (e.g. 224x224).", HelpName = "WxH" };
        var rgb = new Option<bool>("--rgb") { Description = "Load 3 RGB channels (default: 1 grayscale channel)." };
        var batchSize = new Option<int>("--batch-size") { Description = "Images per forward pass, at least 1.", DefaultValueFactory = _ => 32 };
        var folder = CommonOptions.Output("The output folder: logits.npy (N, C), labels.npy (N), features.npy (N, D) when the model returns them, cases.csv (path, label).");
        var overwrite = CommonOptions.Overwrite();
        var shard = ShardOption.Create(what: "images (in the folder's sorted order); writes logits.uqlib, labels.uqlib and features.uqlib score shards");
        var command = new Command("infer", CommonOptions.Describe(
            "Runs an ONNX or TorchScript classifier over an image folder and writes its logits, features and labels as .npy. With --shard, " +
            "does only that part of the images and writes score shards; 'uqlib merge' concatenates them in the single-process order.",
            "uqlib infer --model model.onnx --images test/ --shard $SLURM_ARRAY_TASK_ID/4 --output parts/$SLURM_ARRAY_TASK_ID && uqlib merge -o logits.npy parts/*/logits.uqlib",
            "uqlib infer --model model.onnx --images val/ --resize 224x224 --rgb --output val_outputs",
            "uqlib report --val-logits val_outputs/logits.npy --val-labels val_outputs/labels.npy --test-logits test_outputs/logits.npy ..."))
        {
            model, images, resize, rgb, batchSize, folder, overwrite, shard,
        };
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var root = parse.GetValue(images)!;
            if (!Directory.Exists(root))
            {
                throw CliException.Input("--images", $"folder not found: '{root}'");
            }

            var load = new ImageLoadOptions
            {
                ColorMode = parse.GetValue(rgb) ? ImageColorMode.Rgb : ImageColorMode.Grayscale,
                Resize = parse.GetValue(resize) is string resizeText ? ParseSize(resizeText) : null,
            };
            var dataset = ImageFolderDataset.Open(root, new ImageFolderOptions { Load = load }, cancellationToken: context.CancellationToken);
            if (dataset.Count == 0)
            {
                throw CliException.Input("--images", $"'{root}' holds no readable images in class sub-folders");
            }

            var size = parse.GetValue(batchSize);
            if (size < 1)
            {
                throw CliException.Input("--batch-size", $"must be at least 1; found {size}");
            }

            var classifier = LoadModel(parse.GetValue(model)!);
            using var ownsClassifier = classifier as IDisposable;
            context.Progress($"running {Path.GetFileName(parse.GetValue(model))} on {dataset.Count} images of {dataset.ClassNames.Count} classes");
            var part = ShardOption.Read(parse, shard);
            var (start, end) = part is { } p ? ShardOption.Rows(p, dataset.Count, "--shard") : (0L, dataset.Count);
            var (logits, features, labels) = Run(classifier, dataset, (int)start, (int)end, size, context);
            using var staged = new StagedFolder(parse.GetValue(folder)!, parse.GetValue(overwrite), "--output");
            if (part is { } sharded)
            {
                foreach (var (name, values) in new[] { ("logits", logits), ("labels", labels), ("features", features) })
                {
                    if (values is not null)
                    {
                        using var scoreShard = ScoreShard.Create(values, start);
                        scoreShard.Save(Path.Combine(staged.Staging, name + ".uqlib"));
                    }
                }

                staged.Commit();
                context.Result(
                    new JsonObject { ["shard"] = sharded.ToString(), ["firstCase"] = start, ["endCase"] = end, ["cases"] = dataset.Count, ["output"] = staged.Target },
                    $"shard {sharded}: images {start} to {end - 1} of {dataset.Count}; score shards written to {staged.Target} (merge them with 'uqlib merge')\n");
                return ExitCodes.Success;
            }

            Npy.Write(Path.Combine(staged.Staging, "logits.npy"), logits);
            Npy.Write(Path.Combine(staged.Staging, "labels.npy"), labels);
            if (features is not null)
            {
                Npy.Write(Path.Combine(staged.Staging, "features.npy"), features);
            }

            var cases = new StringBuilder("path,label\n");
            foreach (var sample in dataset.Samples)
            {
                cases.Append(Path.GetRelativePath(dataset.Root, sample.Path).Replace(',', '_')).Append(',').Append(sample.Label.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            File.WriteAllText(Path.Combine(staged.Staging, "cases.csv"), cases.ToString());
            staged.Commit();
            var accuracy = logits.argmax(1).eq(labels).to(ScalarType.Float64).mean().item<double>();
            context.Result(
                new JsonObject
                {
                    ["cases"] = dataset.Count,
                    ["classes"] = new JsonArray(dataset.ClassNames.Select(n => (JsonNode?)n).ToArray()),
                    ["accuracy"] = accuracy,
                    ["features"] = features is not null,
                    ["skipped"] = dataset.Skipped.Count,
                    ["output"] = staged.Target,
                },
                string.Create(CultureInfo.InvariantCulture, $"{dataset.Count} images, accuracy {accuracy:F3}; logits{(features is null ? string.Empty : ", features")} and labels written to {staged.Target}\n"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static IModel LoadModel(string path)
    {
        if (!File.Exists(path))
        {
            throw CliException.Input("--model", $"file not found: '{path}'");
        }

        return Path.GetExtension(path).ToUpperInvariant() switch
        {
            ".ONNX" => OnnxModel.Load(path, OutputKind.MulticlassLogits),
            ".PT" or ".PTH" or ".TORCHSCRIPT" => TorchScriptModel.Load(path, OutputKind.MulticlassLogits),
            _ => throw CliException.Input("--model", $"'{path}' is neither .onnx nor .pt (TorchScript)"),
        };
    }

    /// <summary>Runs the model over the samples [start, end) in batches, in sample order.</summary>
    private static (Tensor Logits, Tensor? Features, Tensor Labels) Run(IModel model, ImageFolderDataset dataset, int start, int end, int batchSize, CliContext context)
    {
        var logits = new List<Tensor>();
        var features = new List<Tensor>();
        for (var first = start; first < end; first += batchSize)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(batchSize, end - first);
            var paths = new string[count];
            for (var i = 0; i < count; i++)
            {
                paths[i] = dataset.Samples[first + i].Path;
            }

            var inputs = ImageLoader.LoadBatch(paths, dataset.Options.Load);
            using var result = model.Forward(inputs);
            logits.Add(result.Logits.detach().cpu().to(ScalarType.Float32).clone());
            if (result.Features is Tensor f)
            {
                features.Add(f.detach().cpu().to(ScalarType.Float32).reshape(f.shape[0], -1).clone());
            }

            context.Progress(string.Create(CultureInfo.InvariantCulture, $"infer: {first + count - start} of {end - start} images"));
        }

        var labels = torch.tensor(dataset.Samples.Skip(start).Take(end - start).Select(s => (long)s.Label).ToArray());
        return (torch.cat(logits, 0), features.Count == logits.Count ? torch.cat(features, 0) : null, labels);
    }

    private static ImageSize ParseSize(string text)
    {
        var parts = text.ToUpperInvariant().Split('X');
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w) && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h) && w > 0 && h > 0
            ? new ImageSize(w, h)
            : throw CliException.Input("--resize", $"expected WIDTHxHEIGHT such as 224x224, found '{text}'");
    }
}
