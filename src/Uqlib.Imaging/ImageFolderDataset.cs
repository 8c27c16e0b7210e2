using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Imaging;

/// <summary>A classification dataset laid out as <c>root/&lt;class name&gt;/&lt;image file&gt;</c>, read in batches of inputs and labels.</summary>
/// <remarks>
/// Classes are the sub-folders of the root in ordinal (culture-independent) order of their names, so the same folders always give
/// the same labels; files within a class are in ordinal order of their names. Folders and files whose names start with '.' are
/// ignored. Batches come in that order unless a shuffle seed is given. The layout follows torchvision's <c>ImageFolder</c>.
/// The dataset is immutable and thread-safe; each enumeration of <see cref="GetBatches"/> is not.
/// </remarks>
public sealed class ImageFolderDataset
{
    private ImageFolderDataset(string root, ImageFolderOptions options, string[] classNames, ImageSample[] samples, SkippedImage[] skipped)
    {
        Root = root;
        Options = options;
        ClassNames = Array.AsReadOnly(classNames);
        var indices = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < classNames.Length; i++)
        {
            indices.Add(classNames[i], i);
        }

        ClassIndices = new ReadOnlyDictionary<string, int>(indices);
        Samples = Array.AsReadOnly(samples);
        Skipped = Array.AsReadOnly(skipped);
    }

    /// <summary>Gets the full path of the root folder.</summary>
    public string Root { get; }

    /// <summary>Gets the options the dataset was opened with.</summary>
    public ImageFolderOptions Options { get; }

    /// <summary>Gets the class names in label order: label <c>i</c> is <c>ClassNames[i]</c>.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Gets the label of each class name.</summary>
    public IReadOnlyDictionary<string, int> ClassIndices { get; }

    /// <summary>Gets the image files with their labels, in the dataset's deterministic order.</summary>
    public IReadOnlyList<ImageSample> Samples { get; }

    /// <summary>Gets the files left out as invalid (only with <see cref="InvalidImagePolicy.Skip"/>), each with its reason.</summary>
    public IReadOnlyList<SkippedImage> Skipped { get; }

    /// <summary>Gets the number of images.</summary>
    public int Count => Samples.Count;

    /// <summary>Finds the classes and image files under <paramref name="root"/>; with <see cref="InvalidImagePolicy.Skip"/> it also decodes every file once to leave out the invalid ones.</summary>
    /// <param name="root">The folder holding one sub-folder per class.</param>
    /// <param name="options">How to find, load and check the files, or <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Receives the files checked so far (only with <see cref="InvalidImagePolicy.Skip"/>), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between files.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="root"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid, or <paramref name="root"/> has no class folder or no image file.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ImageFolderDataset Open(
        string root,
        ImageFolderOptions? options = null,
        IProgress<ImageFolderProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        Preconditions.NotNull(root, nameof(root));
        options ??= new ImageFolderOptions();
        options.Validate();
        var fullRoot = Path.GetFullPath(root);
        if (!Directory.Exists(fullRoot))
        {
            throw new DirectoryNotFoundException($"root: the folder {fullRoot} does not exist.");
        }

        var classNames = new List<string>();
        foreach (var folder in Directory.EnumerateDirectories(fullRoot))
        {
            var name = Path.GetFileName(folder);
            if (!name.StartsWith('.'))
            {
                classNames.Add(name);
            }
        }

        classNames.Sort(StringComparer.Ordinal);
        if (classNames.Count == 0)
        {
            throw new ArgumentException($"root {fullRoot} has no class folder: expected root/<class name>/<image file>.", nameof(root));
        }

        var samples = new List<ImageSample>();
        for (var label = 0; label < classNames.Count; label++)
        {
            var files = new List<string>();
            foreach (var file in Directory.EnumerateFiles(Path.Combine(fullRoot, classNames[label])))
            {
                var name = Path.GetFileName(file);
                if (!name.StartsWith('.') && HasExtension(name, options.Extensions))
                {
                    files.Add(file);
                }
            }

            files.Sort(StringComparer.Ordinal);
            foreach (var file in files)
            {
                samples.Add(new ImageSample(file, label));
            }
        }

        if (samples.Count == 0)
        {
            throw new ArgumentException(
                $"root {fullRoot} has class folders but no file with an image extension ({string.Join(", ", options.Extensions)}).", nameof(root));
        }

        var skipped = new List<SkippedImage>();
        if (options.InvalidImages == InvalidImagePolicy.Skip)
        {
            var good = new List<ImageSample>(samples.Count);
            for (var i = 0; i < samples.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    ImageReader.ReadFile(samples[i].Path, options.Load).Release();
                    good.Add(samples[i]);
                }
                catch (InvalidImageException ex)
                {
                    skipped.Add(new SkippedImage(samples[i].Path, ex.Problem));
                }

                progress?.Report(new ImageFolderProgress(i + 1, samples.Count));
            }

            samples = good;
        }

        return new ImageFolderDataset(fullRoot, options, classNames.ToArray(), samples.ToArray(), skipped.ToArray());
    }

    /// <summary>Reads the dataset in batches: inputs (B, C, H, W) float32 and labels (B) int64.</summary>
    /// <param name="batchSize">The number of images per batch, from 1 to 1,048,576; the last batch may be smaller.</param>
    /// <param name="shuffleSeed">The seed of a random order (the same seed gives the same order), or <see langword="null"/> for the order of <see cref="Samples"/>.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>
    /// The batches, read lazily. Each batch's tensors belong to the enumeration: they are disposed when it moves to the next batch
    /// or ends, which keeps memory flat (clone a tensor to keep it).
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is outside [1, 1,048,576].</exception>
    /// <exception cref="InvalidImageException">During enumeration: a file is invalid (with <see cref="InvalidImagePolicy.Throw"/>) or its size differs from the others in its batch; the message names it.</exception>
    /// <exception cref="OperationCanceledException">During enumeration: <paramref name="cancellationToken"/> was cancelled.</exception>
    public IEnumerable<Batch> GetBatches(int batchSize, int? shuffleSeed = null, CancellationToken cancellationToken = default)
    {
        Preconditions.InRange(batchSize, nameof(batchSize), 1, Preconditions.MaxBatchSize);
        return Enumerate(batchSize, Order(shuffleSeed), cancellationToken);
    }

    /// <summary>Gets the order in which <see cref="GetBatches"/> reads the samples: indices into <see cref="Samples"/>.</summary>
    /// <param name="shuffleSeed">The seed of a random order, or <see langword="null"/> for 0, 1, 2, ….</param>
    /// <returns>A permutation of 0 … <see cref="Count"/> − 1.</returns>
    public IReadOnlyList<int> Order(int? shuffleSeed = null)
    {
        var order = new int[Samples.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (shuffleSeed is { } seed)
        {
            // Fisher–Yates with the seeded generator, whose sequence .NET keeps stable for a given seed.
            var random = new Random(seed);
            for (var i = order.Length - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }

        return order;
    }

    private IEnumerable<Batch> Enumerate(int batchSize, IReadOnlyList<int> order, CancellationToken cancellationToken)
    {
        Batch? current = null;
        try
        {
            for (var start = 0; start < order.Count; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                DisposeBatch(current);
                current = null;
                var size = Math.Min(batchSize, order.Count - start);
                var paths = new string[size];
                var labels = new long[size];
                for (var i = 0; i < size; i++)
                {
                    var sample = Samples[order[start + i]];
                    paths[i] = sample.Path;
                    labels[i] = sample.Label;
                }

                var inputs = ImageLoader.ReadBatch(paths, Options.Load);
                try
                {
                    current = new Batch(inputs, torch.tensor(labels, ScalarType.Int64));
                }
                catch
                {
                    inputs.Dispose();
                    throw;
                }

                yield return current;
            }
        }
        finally
        {
            DisposeBatch(current);
        }
    }

    private static void DisposeBatch(Batch? batch)
    {
        batch?.Inputs.Dispose();
        batch?.Labels?.Dispose();
    }

    private static bool HasExtension(string name, IReadOnlyList<string> extensions)
    {
        foreach (var extension in extensions)
        {
            if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
