namespace Uqlib.Imaging;

/// <summary>A file a dataset left out because it is not a valid image.</summary>
/// <param name="Path">The full path of the file.</param>
/// <param name="Reason">What is wrong with it.</param>
public sealed record SkippedImage(string Path, string Reason);
