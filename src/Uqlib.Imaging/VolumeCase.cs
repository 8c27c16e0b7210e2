namespace Uqlib.Imaging;

/// <summary>One case of a volume dataset: its name (the file name without the NIfTI extension), its image file and its label file.</summary>
/// <param name="Name">The case name, e.g. <c>patient007</c> for <c>patient007.nii.gz</c>: the natural cluster id.</param>
/// <param name="ImagePath">The full path of the image volume.</param>
/// <param name="LabelPath">The full path of the label volume, or <see langword="null"/> for an unlabelled dataset.</param>
/// <exception cref="System.ArgumentNullException"><paramref name="Name"/> or <paramref name="ImagePath"/> is <see langword="null"/>.</exception>
public readonly record struct VolumeCase(string Name, string ImagePath, string? LabelPath)
{
    /// <summary>Gets the case name, e.g. <c>patient007</c> for <c>patient007.nii.gz</c>: the natural cluster id.</summary>
    public string Name { get; init; } = Name ?? throw new System.ArgumentNullException(nameof(Name));

    /// <summary>Gets the full path of the image volume.</summary>
    public string ImagePath { get; init; } = ImagePath ?? throw new System.ArgumentNullException(nameof(ImagePath));
}
