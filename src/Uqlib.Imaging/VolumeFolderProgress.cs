namespace Uqlib.Imaging;

/// <summary>Progress of reading a volume dataset: cases read so far out of the total.</summary>
/// <param name="Read">The number of cases read so far.</param>
/// <param name="Total">The number of cases in the dataset.</param>
public readonly record struct VolumeFolderProgress(int Read, int Total);
