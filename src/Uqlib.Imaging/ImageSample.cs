namespace Uqlib.Imaging;

/// <summary>One image file of a dataset and its class.</summary>
/// <param name="Path">The full path of the file.</param>
/// <param name="Label">The index of its class in <see cref="ImageFolderDataset.ClassNames"/>.</param>
public readonly record struct ImageSample(string Path, int Label);
