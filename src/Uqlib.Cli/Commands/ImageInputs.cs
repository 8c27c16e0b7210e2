using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using TorchSharp;
using Uqlib.Cli.Io;
using Uqlib.Imaging;
using Uqlib.Models;
using Uqlib.Onnx;
using static TorchSharp.torch;

namespace Uqlib.Cli.Commands;

/// <summary>
/// The model and labelled image-folder options that <c>uqlib infer</c> and <c>uqlib gps cache</c> share: a classifier file, and a folder of
/// images or NIfTI volumes with one sub-folder per class, read in batches through Uqlib.Imaging.
/// </summary>
internal sealed class ImageInputs
{
    private static readonly string[] VolumeExtensions = [".nii", ".nii.gz"];

    private ImageInputs()
    {
    }

    public Option<string> Model { get; } = CommonOptions.File(
        "--model", "The classifier: .onnx (ONNX Runtime) or .pt (TorchScript), returning logits (N, C) and optionally features (N, D).");

    public Option<string> Images { get; } = new("--images")
    {
        Description = "The labelled folder: one sub-folder per class (sorted names = class indices 0, 1, ...) of images (PNG, JPEG, BMP, TIFF) " +
                      "or of NIfTI volumes (.nii, .nii.gz; each (X, Y, Z) volume is one (1, X, Y, Z) input, an (X, Y, Z, T) series a (T, X, Y, Z) one).",
        Required = true,
        HelpName = "DIR",
    };

    public Option<string?> Resize { get; } = new("--resize") { Description = "Images: resize every image to WIDTHxHEIGHT (e.g. 224x224).", HelpName = "WxH" };

    public Option<bool> Rgb { get; } = new("--rgb") { Description = "Images: load 3 RGB channels (default: 1 grayscale channel)." };

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Images or volumes per forward pass, at least 1.", DefaultValueFactory = _ => 32 };

    public static ImageInputs Create() => new();

    /// <summary>Adds the options to a command.</summary>
    public void AddTo(Command command)
    {
        command.Add(Model);
        command.Add(Images);
        command.Add(Resize);
        command.Add(Rgb);
        command.Add(BatchSize);
    }

    /// <summary>Opens the folder named by --images, refusing a missing or empty one, a mix of images and volumes, and image options on volumes.</summary>
    public LabelledFolder Open(ParseResult parse, CliContext context)
    {
        var root = parse.GetValue(Images)!;
        if (!Directory.Exists(root))
        {
            throw CliException.Input("--images", $"folder not found: '{root}'");
        }

        var size = parse.GetValue(BatchSize);
        if (size < 1)
        {
            throw CliException.Input("--batch-size", $"must be at least 1; found {size}");
        }

        var load = new ImageLoadOptions
        {
            ColorMode = parse.GetValue(Rgb) ? ImageColorMode.Rgb : ImageColorMode.Grayscale,
            Resize = parse.GetValue(Resize) is string resizeText ? ParseSize(resizeText) : null,
        };
        var extensions = new ImageFolderOptions().Extensions.Concat(VolumeExtensions).ToArray();
        var dataset = ImageFolderDataset.Open(root, new ImageFolderOptions { Load = load, Extensions = extensions }, cancellationToken: context.CancellationToken);
        if (dataset.Count == 0)
        {
            throw CliException.Input("--images", $"'{root}' holds no readable images in class sub-folders");
        }

        var volumes = dataset.Samples.Count(s => IsVolume(s.Path));
        if (volumes != 0 && volumes != dataset.Count)
        {
            throw CliException.Input("--images", $"'{root}' mixes {volumes} NIfTI volumes with {dataset.Count - volumes} images: give a folder of one kind");
        }

        if (volumes != 0 && (parse.GetValue(Resize) is not null || parse.GetValue(Rgb)))
        {
            throw CliException.Input(parse.GetValue(Resize) is not null ? "--resize" : "--rgb", "applies to images, not to NIfTI volumes");
        }

        return new LabelledFolder(dataset, volumes != 0, size);
    }

    /// <summary>Loads the classifier by its extension.</summary>
    public IModel LoadModel(ParseResult parse)
    {
        var path = parse.GetValue(Model)!;
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

    private static bool IsVolume(string path) =>
        path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase);

    private static ImageSize ParseSize(string text)
    {
        var parts = text.ToUpperInvariant().Split('X');
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w) && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h) && w > 0 && h > 0
            ? new ImageSize(w, h)
            : throw CliException.Input("--resize", $"expected WIDTHxHEIGHT such as 224x224, found '{text}'");
    }

    /// <summary>An opened labelled folder of images or NIfTI volumes, read in batches in the dataset's sorted order.</summary>
    internal sealed record LabelledFolder(ImageFolderDataset Dataset, bool Volumes, int BatchSize)
    {
        /// <summary>Gets what the folder holds, for progress lines.</summary>
        public string What => Volumes ? "volumes" : "images";

        /// <summary>The labelled batches of the samples [start, end), in order; the caller disposes each batch's tensors.</summary>
        public IEnumerable<Batch> Batches(int start, int end, CancellationToken cancellationToken)
        {
            for (var first = start; first < end; first += BatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(BatchSize, end - first);
                var samples = Dataset.Samples.Skip(first).Take(count).ToArray();
                var inputs = Volumes ? LoadVolumes(samples) : ImageLoader.LoadBatch(samples.Select(s => s.Path).ToArray(), Dataset.Options.Load);
                yield return new Batch(inputs, torch.tensor(samples.Select(s => (long)s.Label).ToArray()));
            }
        }

        /// <summary>Reads NIfTI volumes with the library's reader and stacks them as (N, channels, X, Y, Z) float32.</summary>
        private static Tensor LoadVolumes(IReadOnlyList<ImageSample> samples)
        {
            using var scope = torch.NewDisposeScope();
            var inputs = new Tensor[samples.Count];
            for (var i = 0; i < samples.Count; i++)
            {
                using var volume = Nifti.Read(samples[i].Path);
                var data = volume.Data;
                inputs[i] = data.dim() == 3 ? data.unsqueeze(0).clone() : data.permute(3, 0, 1, 2).contiguous();
                if (!inputs[i].shape.SequenceEqual(inputs[0].shape))
                {
                    throw CliException.Input("--images", string.Create(CultureInfo.InvariantCulture,
                        $"'{samples[i].Path}' is a ({string.Join(", ", inputs[i].shape)}) input but '{samples[0].Path}' is ({string.Join(", ", inputs[0].shape)}): volumes batched together need one shape (resample them, or use --batch-size 1)"));
                }
            }

            return torch.stack(inputs).MoveToOuterDisposeScope();
        }
    }
}
