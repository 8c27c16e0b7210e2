using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Imaging;

/// <summary>
/// A segmentation dataset of NIfTI volumes laid out as <c>root/images/&lt;case&gt;.nii.gz</c> with <c>root/labels/&lt;case&gt;.nii.gz</c>
/// beside them (nnU-Net's and the Medical Segmentation Decathlon's layout), read one volume or one batch of patches at a time.
/// </summary>
/// <remarks>
/// Cases are the <c>.nii</c> and <c>.nii.gz</c> files of the images folder in ordinal order of their names (names starting with '.'
/// ignored); a label file has the image's case name with either extension. Memory holds one case (and one patch batch) at a time.
/// The dataset is immutable and thread-safe; each enumeration is not.
/// </remarks>
public sealed class VolumeFolderDataset
{
    private readonly VolumeCase[] _cases;

    private VolumeFolderDataset(string root, VolumeFolderOptions options, VolumeCase[] cases)
    {
        Root = root;
        Options = options;
        _cases = cases;
    }

    /// <summary>Gets the full path of the root folder.</summary>
    public string Root { get; }

    /// <summary>Gets the options the dataset was opened with.</summary>
    public VolumeFolderOptions Options { get; }

    /// <summary>Gets the cases in the dataset's order.</summary>
    public IReadOnlyList<VolumeCase> Cases => _cases;

    /// <summary>Finds the cases under <paramref name="root"/> (no file is read yet).</summary>
    /// <param name="root">The folder holding the images folder (and the labels folder).</param>
    /// <param name="options">Folder names and how to read, or <see langword="null"/> for the defaults.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="root"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="options"/> is invalid, the images folder holds no NIfTI file, or a case has no label file.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> or its images (labels) folder does not exist.</exception>
    public static VolumeFolderDataset Open(string root, VolumeFolderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        options ??= new VolumeFolderOptions();
        options.Validate();
        var fullRoot = Path.GetFullPath(root);
        var images = Folder(fullRoot, options.ImagesFolder);
        var labels = options.LabelsFolder is null ? null : Folder(fullRoot, options.LabelsFolder);
        var files = new List<string>();
        foreach (var file in Directory.EnumerateFiles(images))
        {
            var name = Path.GetFileName(file);
            if (!name.StartsWith('.') && CaseName(name) is not null)
            {
                files.Add(file);
            }
        }

        files.Sort(StringComparer.Ordinal);
        if (files.Count == 0)
        {
            throw new ArgumentException($"root: the images folder {images} holds no .nii or .nii.gz file.", nameof(root));
        }

        var cases = new VolumeCase[files.Count];
        for (int i = 0; i < cases.Length; i++)
        {
            var name = CaseName(Path.GetFileName(files[i]))!;
            string? label = null;
            if (labels is not null)
            {
                label = Path.Combine(labels, name + ".nii.gz");
                if (!File.Exists(label))
                {
                    label = Path.Combine(labels, name + ".nii");
                }

                if (!File.Exists(label))
                {
                    throw new ArgumentException($"root: case '{name}' has no label file {name}.nii.gz or {name}.nii in {labels}.", nameof(root));
                }
            }

            cases[i] = new VolumeCase(name, files[i], label);
        }

        return new VolumeFolderDataset(fullRoot, options, cases);
    }

    /// <summary>Reads the cases one at a time.</summary>
    /// <param name="progress">Receives the cases read so far, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels between cases.</param>
    /// <returns>The cases, read lazily; each is disposed when the enumeration moves on or ends (clone a tensor to keep it).</returns>
    /// <exception cref="InvalidImageException">During enumeration: a file is not a valid NIfTI volume, or a label's shape differs from its image's; the message names it.</exception>
    /// <exception cref="OperationCanceledException">During enumeration: <paramref name="cancellationToken"/> was cancelled.</exception>
    public IEnumerable<VolumeSample> GetVolumes(IProgress<VolumeFolderProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        VolumeSample? current = null;
        try
        {
            for (int i = 0; i < _cases.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                current?.Dispose();
                current = null;
                current = Load(_cases[i]);
                progress?.Report(new VolumeFolderProgress(i + 1, _cases.Length));
                yield return current;
            }
        }
        finally
        {
            current?.Dispose();
        }
    }

    /// <summary>Reads random patches of the labelled volumes in batches, for training or calibrating a patch model: inputs <c>(B, 1, X, Y, Z)</c> float and labels <c>(B, X, Y, Z)</c> int64.</summary>
    /// <param name="patchSize">The patch size (X, Y, Z), each at least 1 and at most the smallest volume's size along that axis.</param>
    /// <param name="patchesPerVolume">The number of patches drawn from each volume, 1 to 4096, with corners uniform over the volume.</param>
    /// <param name="batchSize">The number of patches per batch, 1 to 4096; the last batch may be smaller.</param>
    /// <param name="seed">The seed of the patch corners (the same seed gives the same patches).</param>
    /// <param name="cancellationToken">Cancels between cases.</param>
    /// <returns>The batches, read lazily; each batch's tensors are disposed when the enumeration moves on or ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="patchSize"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="patchSize"/> does not have three positive values, or the dataset has no labels.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="patchesPerVolume"/> or <paramref name="batchSize"/> is outside 1 to 4096.</exception>
    /// <exception cref="InvalidImageException">During enumeration: a file is invalid, not 3-D, smaller than the patch, or its label's shape differs.</exception>
    public IEnumerable<Batch> GetPatchBatches(IReadOnlyList<int> patchSize, int patchesPerVolume, int batchSize, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patchSize);
        if (patchSize.Count != 3 || patchSize[0] < 1 || patchSize[1] < 1 || patchSize[2] < 1)
        {
            throw new ArgumentException($"patchSize must have three values of at least 1 (X, Y, Z); found [{string.Join(", ", patchSize)}].", nameof(patchSize));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(patchesPerVolume, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(patchesPerVolume, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, 4096);
        if (Options.LabelsFolder is null)
        {
            throw new ArgumentException("patches need labels, and the dataset was opened without a labels folder.", nameof(patchSize));
        }

        return Patches([patchSize[0], patchSize[1], patchSize[2]], patchesPerVolume, batchSize, seed, cancellationToken);
    }

    private static string Folder(string root, string name)
    {
        var path = Path.Combine(root, name);
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"root: the folder {path} does not exist.");
        }

        return path;
    }

    private static string? CaseName(string file)
    {
        if (file.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase))
        {
            return file[..^7];
        }

        return file.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) ? file[..^4] : null;
    }

    private VolumeSample Load(VolumeCase source)
    {
        NiftiVolume? image = null;
        NiftiVolume? label = null;
        try
        {
            image = Read(source.ImagePath);
            if (source.LabelPath is { } labelPath)
            {
                label = Read(labelPath);
                if (!SameShape(image.Header.Shape, label.Header.Shape))
                {
                    throw new InvalidImageException(labelPath, $"the label's shape [{string.Join(", ", label.Header.Shape)}] differs from its image's [{string.Join(", ", image.Header.Shape)}].", null);
                }
            }

            return new VolumeSample(source, image, label);
        }
        catch
        {
            image?.Dispose();
            label?.Dispose();
            throw;
        }
    }

    private NiftiVolume Read(string path)
    {
        var volume = Nifti.Read(path, Options.Read);
        if (!Options.Canonical || volume.Header.Orientation.IsCanonical)
        {
            return volume;
        }

        using (volume)
        {
            return volume.ToCanonicalVolume();
        }
    }

    private static bool SameShape(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    private IEnumerable<Batch> Patches(long[] patch, int perVolume, int batchSize, int seed, CancellationToken cancellationToken)
    {
        var random = new Random(seed);
        var inputs = new List<Tensor>(batchSize);
        var labels = new List<Tensor>(batchSize);
        Batch? current = null;
        try
        {
            foreach (var sample in GetVolumes(null, cancellationToken))
            {
                var data = sample.Image.Data;
                if (data.dim() != 3 || data.shape[0] < patch[0] || data.shape[1] < patch[1] || data.shape[2] < patch[2])
                {
                    throw new InvalidImageException(sample.Case.ImagePath, $"a {string.Join(" × ", patch)} patch needs a 3-D volume at least that large; found [{string.Join(", ", data.shape)}].", null);
                }

                for (int k = 0; k < perVolume; k++)
                {
                    long x = random.NextInt64(data.shape[0] - patch[0] + 1);
                    long y = random.NextInt64(data.shape[1] - patch[1] + 1);
                    long z = random.NextInt64(data.shape[2] - patch[2] + 1);
                    using (var image = Crop(data, x, y, z, patch))
                    using (var label = Crop(sample.Label!.Data, x, y, z, patch))
                    {
                        inputs.Add(image.unsqueeze(0));
                        labels.Add(label.to(ScalarType.Int64));
                    }

                    if (inputs.Count == batchSize)
                    {
                        DisposeBatch(current);
                        current = Flush(inputs, labels);
                        yield return current;
                    }
                }
            }

            if (inputs.Count > 0)
            {
                DisposeBatch(current);
                current = Flush(inputs, labels);
                yield return current;
            }
        }
        finally
        {
            DisposeBatch(current);
            foreach (var t in inputs)
            {
                t.Dispose();
            }

            foreach (var t in labels)
            {
                t.Dispose();
            }
        }
    }

    private static Tensor Crop(Tensor data, long x, long y, long z, long[] patch)
    {
        using var scope = torch.NewDisposeScope();
        return data.narrow(0, x, patch[0]).narrow(1, y, patch[1]).narrow(2, z, patch[2]).contiguous().MoveToOuterDisposeScope();
    }

    private static Batch Flush(List<Tensor> inputs, List<Tensor> labels)
    {
        var batch = new Batch(torch.stack(inputs), torch.stack(labels));
        foreach (var t in inputs)
        {
            t.Dispose();
        }

        foreach (var t in labels)
        {
            t.Dispose();
        }

        inputs.Clear();
        labels.Clear();
        return batch;
    }

    private static void DisposeBatch(Batch? batch)
    {
        batch?.Inputs.Dispose();
        batch?.Labels?.Dispose();
    }
}
