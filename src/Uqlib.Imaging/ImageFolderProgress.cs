namespace Uqlib.Imaging;

/// <summary>Progress of checking the files of a dataset.</summary>
/// <param name="Checked">The number of files checked so far.</param>
/// <param name="Total">The number of files to check.</param>
public readonly record struct ImageFolderProgress(int Checked, int Total);
