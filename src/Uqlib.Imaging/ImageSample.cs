namespace Uqlib.Imaging;

/// <summary>One image file of a dataset and its class.</summary>
/// <param name="Path">The full path of the file.</param>
/// <param name="Label">The index of its class in <see cref="ImageFolderDataset.ClassNames"/>.</param>
/// <exception cref="System.ArgumentNullException"><paramref name="Path"/> is <see langword="null"/>.</exception>
public readonly record struct ImageSample(string Path, int Label)
{
    /// <summary>Gets the full path of the file.</summary>
    public string Path { get; init; } = Path ?? throw new System.ArgumentNullException(nameof(Path));
}
