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
using Uqlib.Interop;
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
        var inputs = ImageInputs.Create();
        var folder = CommonOptions.Output("The output folder: logits.npy (N, C), labels.npy (N), features.npy (N, D) when the model returns them, cases.csv (path, label).");
        var overwrite = CommonOptions.Overwrite();
        var shard = ShardOption.Create(what: "images (in the folder's sorted order); writes logits.uqlib, labels.uqlib and features.uqlib score shards");
        var command = new Command("infer", CommonOptions.Describe(
            "Runs an ONNX or TorchScript classifier over a folder of images or NIfTI volumes and writes its logits, features and labels as " +
            ".npy. With --shard, does only that part of the folder and writes score shards; 'uqlib merge' concatenates them in the " +
            "single-process order.",
            "uqlib infer --model model.onnx --images test/ --shard $SLURM_ARRAY_TASK_ID/4 --output parts/$SLURM_ARRAY_TASK_ID && uqlib merge -o logits.npy parts/*/logits.uqlib",
            "uqlib infer --model model.onnx --images val/ --resize 224x224 --rgb --output val_outputs",
            "uqlib infer --model model3d.pt --images mri_val/ --batch-size 4 --output val_outputs   (mri_val/<class>/*.nii.gz)",
            "uqlib report --val-logits val_outputs/logits.npy --val-labels val_outputs/labels.npy --test-logits test_outputs/logits.npy ..."));
        inputs.AddTo(command);
        command.Add(folder);
        command.Add(overwrite);
        command.Add(shard);
        UqlibCli.SetBody(command, output, error, (parse, context) =>
        {
            var images = inputs.Open(parse, context);
            var dataset = images.Dataset;
            var classifier = inputs.LoadModel(parse);
            using var ownsClassifier = classifier as IDisposable;
            context.Progress($"running {Path.GetFileName(parse.GetValue(inputs.Model))} on {dataset.Count} {images.What} of {dataset.ClassNames.Count} classes");
            var part = ShardOption.Read(parse, shard);
            var (start, end) = part is { } p ? ShardOption.Rows(p, dataset.Count, "--shard") : (0L, dataset.Count);
            var (logits, features, labels) = Run(classifier, images, (int)start, (int)end, context);
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
                string.Create(CultureInfo.InvariantCulture, $"{dataset.Count} {images.What}, accuracy {accuracy:F3}; logits{(features is null ? string.Empty : ", features")} and labels written to {staged.Target}\n"));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Runs the model over the samples [start, end) in batches, in sample order.</summary>
    private static (Tensor Logits, Tensor? Features, Tensor Labels) Run(IModel model, ImageInputs.LabelledFolder images, int start, int end, CliContext context)
    {
        var logits = new List<Tensor>();
        var features = new List<Tensor>();
        var labels = new List<Tensor>();
        foreach (var batch in images.Batches(start, end, context.CancellationToken))
        {
            using var result = model.Forward(batch.Inputs);
            logits.Add(result.Logits.detach().cpu().to(ScalarType.Float32).clone());
            if (result.Features is Tensor f)
            {
                features.Add(f.detach().cpu().to(ScalarType.Float32).reshape(f.shape[0], -1).clone());
            }

            labels.Add(batch.Labels!);
            context.Progress(string.Create(CultureInfo.InvariantCulture, $"infer: {labels.Sum(l => l.shape[0])} of {end - start} {images.What}"));
        }

        return (torch.cat(logits, 0), features.Count == logits.Count ? torch.cat(features, 0) : null, torch.cat(labels, 0));
    }
}
