namespace Uqlib.Imaging;

/// <summary>What a dataset does with a file that is not a valid image.</summary>
public enum InvalidImagePolicy
{
    /// <summary>Throw an <see cref="InvalidImageException"/> naming the file.</summary>
    Throw = 0,

    /// <summary>Check every file when the dataset is opened, leave the bad ones out and report them in <see cref="ImageFolderDataset.Skipped"/>.</summary>
    Skip = 1,
}
