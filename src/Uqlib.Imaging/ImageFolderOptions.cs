using System;
using System.Collections.Generic;

namespace Uqlib.Imaging;

/// <summary>How an <see cref="ImageFolderDataset"/> finds, loads and checks its files.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>Gets how each image becomes a tensor.</summary>
    /// <value>The default value is a default <see cref="ImageLoadOptions"/> (grayscale, values in [0, 1]).</value>
    public ImageLoadOptions Load { get; init; } = new();

    /// <summary>Gets the file extensions taken as images, compared without regard to case; other files are ignored.</summary>
    /// <value>The default value is <c>.png</c>, <c>.jpg</c>, <c>.jpeg</c>, <c>.bmp</c>, <c>.tif</c>, <c>.tiff</c>.</value>
    public IReadOnlyList<string> Extensions { get; init; } = [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"];

    /// <summary>Gets what happens to a file that is not a valid image.</summary>
    /// <value>The default value is <see cref="InvalidImagePolicy.Throw"/>.</value>
    public InvalidImagePolicy InvalidImages { get; init; } = InvalidImagePolicy.Throw;

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Load is null)
        {
            problems.Add("Load is required.");
        }
        else
        {
            try
            {
                Load.Validate();
            }
            catch (ArgumentException ex)
            {
                problems.Add(ex.Message);
            }
        }

        if (Extensions is null || Extensions.Count == 0)
        {
            problems.Add("Extensions must name at least one file extension.");
        }
        else
        {
            foreach (var extension in Extensions)
            {
                if (extension is null || extension.Length < 2 || extension[0] != '.')
                {
                    problems.Add($"Extensions must each start with '.' and name an extension, like \".png\"; found \"{extension}\".");
                }
            }
        }

        if (!Enum.IsDefined(InvalidImages))
        {
            problems.Add($"InvalidImages must be a defined InvalidImagePolicy; found {InvalidImages}.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid ImageFolderOptions: " + string.Join(" ", problems));
        }
    }
}
