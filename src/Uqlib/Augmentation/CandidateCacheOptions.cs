using System;
using System.Globalization;
using System.IO;
using System.Text;
using static TorchSharp.torch;

namespace Uqlib.Augmentation;

/// <summary>Options of <see cref="CandidateCache.Build"/>.</summary>
public sealed record CandidateCacheOptions
{
    private const int PixelLimit = 1 << 20;

    /// <summary>Gets the default options.</summary>
    public static CandidateCacheOptions Default { get; } = new();

    /// <summary>Gets the dtype of the cached log-probabilities: <see cref="ScalarType.Float32"/> or <see cref="ScalarType.Float16"/> (half the memory).</summary>
    /// <value>The default value is <see cref="ScalarType.Float32"/>.</value>
    public ScalarType Precision { get; init; } = ScalarType.Float32;

    /// <summary>Gets the number of pixels (voxels) drawn per image of a segmentation model, without replacement and the same for every candidate; all of them when an image has fewer; from 1 to 1,048,576.</summary>
    /// <value>The default value is 256.</value>
    public int PixelsPerImage { get; init; } = 256;

    /// <summary>Gets the seed of the pixel draws; batch b draws from seed + b.</summary>
    /// <value>The default value is 0.</value>
    public long Seed { get; init; }

    /// <summary>
    /// Gets the directory of a disk-backed cache, or <see langword="null"/> to keep the cache in memory. When set, each candidate's
    /// log-probabilities are written to a temporary file there as soon as they are computed, and the cache tensor memory-maps the file,
    /// so memory holds one batch of one candidate at a time; the file is deleted when the <see cref="CandidateCache"/> is disposed.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (in memory).</value>
    public string? DiskDirectory { get; init; }

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">An option is out of range, or <see cref="DiskDirectory"/> is set to a directory that does not exist.</exception>
    public void Validate()
    {
        var problems = new StringBuilder();
        if (Precision is not (ScalarType.Float32 or ScalarType.Float16))
        {
            problems.Append(CultureInfo.InvariantCulture, $"Precision must be Float32 or Float16; found {Precision}. ");
        }

        if (PixelsPerImage < 1 || PixelsPerImage > PixelLimit)
        {
            problems.Append(CultureInfo.InvariantCulture, $"PixelsPerImage must be in [1, {PixelLimit}]; found {PixelsPerImage}. ");
        }

        if (DiskDirectory is not null && !Directory.Exists(DiskDirectory))
        {
            problems.Append(CultureInfo.InvariantCulture, $"DiskDirectory must be an existing directory; found '{DiskDirectory}', which does not exist. ");
        }

        if (problems.Length > 0)
        {
            throw new ArgumentException(problems.ToString().TrimEnd(), "options");
        }
    }
}
