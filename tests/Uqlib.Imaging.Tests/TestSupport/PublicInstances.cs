using System;
using System.Collections.Generic;
using System.IO;
using TorchSharp;

namespace Uqlib.Imaging.Tests.TestSupport;

/// <summary>The registry the convention tests draw on: a factory for every public disposable type of the package, and sample arguments.</summary>
internal static class PublicInstances
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var root = Path.Combine(Path.GetTempPath(), "uqlib-imaging-conventions-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, "images"));
        Directory.CreateDirectory(Path.Combine(root, "labels"));
        using var volume = torch.arange(4 * 5 * 6, dtype: torch.ScalarType.Float32).reshape(4, 5, 6);
        using var mask = volume.gt(60).to(torch.ScalarType.Float32);
        Nifti.Write(Path.Combine(root, "images", "a.nii.gz"), volume, NiftiAffine.Identity);
        Nifti.Write(Path.Combine(root, "labels", "a.nii.gz"), mask, NiftiAffine.Identity);
        return root;
    });

    /// <summary>Gets a factory for each public disposable type of the package.</summary>
    public static IReadOnlyDictionary<Type, Func<object>> Disposables { get; } = new Dictionary<Type, Func<object>>
    {
        [typeof(NiftiVolume)] = () => Nifti.Read(Path.Combine(Folder.Value, "images", "a.nii.gz")),
        [typeof(VolumeSample)] = () =>
        {
            // The first case, taken without ending the enumeration (which would dispose it).
            var volumes = VolumeFolderDataset.Open(Folder.Value).GetVolumes().GetEnumerator();
            volumes.MoveNext();
            return volumes.Current;
        },
    };

    /// <summary>A sample of one of the package's types for a parameter, or <see langword="null"/> to let the checks choose by type.</summary>
    public static object? Sample(Type type, string name) =>
        Disposables.TryGetValue(type, out var factory) ? factory() : null;
}
