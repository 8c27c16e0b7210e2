using System;
using System.Collections.Generic;
using System.Globalization;
using TorchSharp;

namespace Uqlib.Imaging;

/// <summary>How a NIfTI file becomes a tensor: the element type of the data and the largest volume accepted.</summary>
public sealed record NiftiReadOptions
{
    /// <summary>The default largest number of voxels a file may claim: 2³⁰ (a 1024³ volume, 4 GiB as float32).</summary>
    public const long DefaultMaxVoxels = 1L << 30;

    /// <summary>Gets the element type of the loaded data: <see cref="torch.ScalarType.Float32"/> or <see cref="torch.ScalarType.Float64"/>.</summary>
    /// <value>The default value is <see cref="torch.ScalarType.Float32"/>. Integer volumes (label maps) convert exactly to either.</value>
    public torch.ScalarType DataType { get; init; } = torch.ScalarType.Float32;

    /// <summary>
    /// Gets the largest number of values (voxels × time points × channels) a file may claim in its header, from 1 to 2⁴⁰; a larger
    /// volume is refused before any memory is allocated, and a compressed file is never decompressed past what its header claims.
    /// </summary>
    /// <value>The default value is <see cref="DefaultMaxVoxels"/>.</value>
    public long MaxVoxels { get; init; } = DefaultMaxVoxels;

    /// <summary>Checks every option and reports every problem in one exception.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message lists them all.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (DataType is not (torch.ScalarType.Float32 or torch.ScalarType.Float64))
        {
            problems.Add($"DataType must be Float32 or Float64; found {DataType}.");
        }

        if (MaxVoxels is < 1 or > 1L << 40)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"MaxVoxels must be between 1 and 2^40; found {MaxVoxels}."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }
    }
}
