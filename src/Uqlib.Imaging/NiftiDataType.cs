namespace Uqlib.Imaging;

/// <summary>The voxel data types Uqlib reads and writes in NIfTI files, with their NIfTI <c>datatype</c> codes.</summary>
public enum NiftiDataType
{
    /// <summary>Unsigned 8-bit integers (code 2).</summary>
    UInt8 = 2,

    /// <summary>Signed 16-bit integers (code 4), the usual type of MRI and CT volumes.</summary>
    Int16 = 4,

    /// <summary>Signed 32-bit integers (code 8).</summary>
    Int32 = 8,

    /// <summary>32-bit floating point (code 16).</summary>
    Float32 = 16,

    /// <summary>64-bit floating point (code 64).</summary>
    Float64 = 64,

    /// <summary>Three unsigned 8-bit channels per voxel, red, green, blue (code 128).</summary>
    Rgb24 = 128,

    /// <summary>Signed 8-bit integers (code 256).</summary>
    Int8 = 256,

    /// <summary>Unsigned 16-bit integers (code 512).</summary>
    UInt16 = 512,
}
