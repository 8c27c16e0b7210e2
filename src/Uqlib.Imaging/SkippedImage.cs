namespace Uqlib.Imaging;

/// <summary>A file a dataset left out because it is not a valid image.</summary>
/// <param name="Path">The full path of the file.</param>
/// <param name="Reason">What is wrong with it.</param>
/// <exception cref="System.ArgumentNullException"><paramref name="Path"/> or <paramref name="Reason"/> is <see langword="null"/>.</exception>
public sealed record SkippedImage(string Path, string Reason)
{
    /// <summary>Gets the full path of the file.</summary>
    public string Path { get; init; } = Path ?? throw new System.ArgumentNullException(nameof(Path));

    /// <summary>Gets what is wrong with it.</summary>
    public string Reason { get; init; } = Reason ?? throw new System.ArgumentNullException(nameof(Reason));
}
