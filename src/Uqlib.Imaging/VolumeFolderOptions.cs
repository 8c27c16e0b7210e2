using System;
using System.Collections.Generic;

namespace Uqlib.Imaging;

/// <summary>Where a volume dataset's images and labels are, and how they are read.</summary>
public sealed record VolumeFolderOptions
{
    /// <summary>Gets the sub-folder of the root holding the image volumes.</summary>
    /// <value>The default value is <c>"images"</c>.</value>
    public string ImagesFolder { get; init; } = "images";

    /// <summary>Gets the sub-folder holding one label volume per image, with the image's file name, or <see langword="null"/> for an unlabelled dataset.</summary>
    /// <value>The default value is <c>"labels"</c>.</value>
    public string? LabelsFolder { get; init; } = "labels";

    /// <summary>Gets how each file is read (element type, size limit).</summary>
    /// <value>The default value reads float32 with at most <see cref="NiftiReadOptions.DefaultMaxVoxels"/> values.</value>
    public NiftiReadOptions Read { get; init; } = new();

    /// <summary>Gets a value indicating whether volumes are reoriented to the closest canonical orientation (RAS) as they are read, so every case has the same axis order whatever the scanner wrote.</summary>
    /// <value>The default value is <see langword="false"/>: the data as stored, as nibabel gives them.</value>
    public bool Canonical { get; init; }

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ImagesFolder))
        {
            problems.Add("ImagesFolder must name a folder.");
        }

        if (LabelsFolder is not null && string.IsNullOrWhiteSpace(LabelsFolder))
        {
            problems.Add("LabelsFolder must name a folder, or be null for an unlabelled dataset.");
        }

        if (Read is null)
        {
            problems.Add("Read must not be null.");
        }
        else
        {
            try
            {
                Read.Validate();
            }
            catch (ArgumentException e)
            {
                problems.Add("Read: " + e.Message);
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }
    }
}
