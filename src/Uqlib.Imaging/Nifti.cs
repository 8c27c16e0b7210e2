using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Imaging;

/// <summary>Reads and writes NIfTI-1 and NIfTI-2 volumes (<c>.nii</c>, <c>.nii.gz</c>, <c>.hdr</c>/<c>.img</c> pairs), the format of medical imaging research.</summary>
/// <remarks>
/// <para>
/// Reading follows the NIfTI standard and nibabel's conventions: little or big endian; data types uint8, int8, int16, uint16, int32,
/// float32, float64 and RGB24; <c>scl_slope</c>/<c>scl_inter</c> applied when the slope is finite and not 0; 1-D to 7-D data; the affine
/// by nibabel's rules (<see cref="NiftiHeader"/>). Every problem is an <see cref="InvalidImageException"/> naming the file: a wrong
/// <c>sizeof_hdr</c>, magic string, <c>dim[0]</c>, data type or <c>bitpix</c>; data that end before the header says (truncated files,
/// <c>vox_offset</c> past the end); a header claiming more than <see cref="NiftiReadOptions.MaxVoxels"/> values, refused before any
/// allocation. A compressed file is never decompressed past the bytes its header accounts for, so a gzip bomb costs nothing.
/// </para>
/// <para>Thread-safe: each call reads or writes its own file.</para>
/// </remarks>
public static class Nifti
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>Reads a NIfTI volume.</summary>
    /// <param name="path">A <c>.nii</c>, <c>.nii.gz</c>, <c>.hdr</c> or <c>.img</c> file (with or without <c>.gz</c>); for a pair, either half names both.</param>
    /// <param name="options">The element type and size limit, or <see langword="null"/> for the defaults (float32, at most 2³⁰ values).</param>
    /// <returns>The volume; the caller disposes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or has no NIfTI extension, or <paramref name="options"/> is invalid.</exception>
    /// <exception cref="FileNotFoundException">The file (or the other half of a pair) does not exist.</exception>
    /// <exception cref="InvalidImageException">The file is not a valid, complete NIfTI file within the limits.</exception>
    public static NiftiVolume Read(string path, NiftiReadOptions? options = null)
    {
        options ??= new NiftiReadOptions();
        options.Validate();
        var (headerPath, dataPath) = Locate(path, nameof(path));
        var fields = ReadFields(headerPath, dataPath != headerPath, options.MaxVoxels, out var headerStream);
        using (headerStream)
        {
            Tensor data;
            if (dataPath == headerPath)
            {
                data = ReadData(headerStream, fields, fields.VoxOffset - HeaderSize(fields.Version), headerPath, options.DataType);
            }
            else
            {
                using var dataStream = Open(dataPath);
                data = ReadData(dataStream, fields, fields.VoxOffset, dataPath, options.DataType);
            }

            return new NiftiVolume(new NiftiHeader(fields, fields.BestAffine()), data);
        }
    }

    /// <summary>Reads only a NIfTI file's header, without its data.</summary>
    /// <param name="path">A <c>.nii</c>, <c>.nii.gz</c>, <c>.hdr</c> or <c>.img</c> file (with or without <c>.gz</c>).</param>
    /// <returns>The header.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or has no NIfTI extension.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidImageException">The header is not a valid NIfTI header.</exception>
    public static NiftiHeader ReadHeader(string path)
    {
        var (headerPath, dataPath) = Locate(path, nameof(path));
        var fields = ReadFields(headerPath, dataPath != headerPath, long.MaxValue, out var stream);
        stream.Dispose();
        return new NiftiHeader(fields, fields.BestAffine());
    }

    /// <summary>Writes data (an uncertainty map, a mask) as a NIfTI-1 file in the space of a source volume, so it opens aligned with it in any viewer.</summary>
    /// <param name="path">The file to write, ending in <c>.nii</c> or <c>.nii.gz</c>; written to a temporary file first and moved into place.</param>
    /// <param name="data">
    /// The data in the source's voxel order, <c>(X, Y, Z)</c> or <c>(X, Y, Z, T)</c> with the source's first three dimensions: bool
    /// (written as uint8), uint8, int8, int16, int32, float32 or float64. It is not disposed.
    /// </param>
    /// <param name="like">The source's header: its qform, sform, codes, voxel sizes and units are copied.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not end in <c>.nii</c> or <c>.nii.gz</c>, or <paramref name="data"/> has another spatial shape or an unsupported type.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is left as it was.</exception>
    public static void Write(string path, Tensor data, NiftiHeader like)
    {
        ArgumentNullException.ThrowIfNull(like);
        CheckData(data, nameof(data));
        for (int i = 0; i < Math.Min(3, (int)data.dim()); i++)
        {
            long expected = i < like.Shape.Count ? like.Shape[i] : 1;
            if (data.shape[i] != expected)
            {
                throw new ArgumentException(Invariant($"data must have the spatial shape of like, [{string.Join(", ", like.Shape)}]; found [{string.Join(", ", data.shape)}]."), nameof(data));
            }
        }

        var source = like.Fields;
        var zooms = new double[data.dim()];
        for (int i = 0; i < zooms.Length; i++)
        {
            zooms[i] = i < source.VoxelSizes.Count ? source.VoxelSizes[i] : 1.0;
        }

        WriteFile(path, nameof(path), data, source with
        {
            Version = 1,
            BigEndian = false,
            DataType = TypeOf(data.dtype),
            Shape = data.shape,
            VoxelSizes = zooms,
            VoxOffset = NiftiCodec.Nifti1DataStart,
            ScaleSlope = 1,
            ScaleIntercept = 0,
            Description = "Uqlib",
        });
    }

    /// <summary>Writes data as a NIfTI-1 file with a given voxel-to-world affine (stored as the sform, code 2 "aligned"; no qform).</summary>
    /// <param name="path">The file to write, ending in <c>.nii</c> or <c>.nii.gz</c>; written to a temporary file first and moved into place.</param>
    /// <param name="data">The data <c>(X, Y, Z)</c> or <c>(X, Y, Z, T)</c>: bool (written as uint8), uint8, int8, int16, int32, float32 or float64. It is not disposed.</param>
    /// <param name="affine">The voxel-to-world affine; the voxel sizes written are the lengths of its first three columns.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not end in <c>.nii</c> or <c>.nii.gz</c>, or <paramref name="data"/> has an unsupported type or shape.</exception>
    /// <exception cref="IOException">The file cannot be written; an existing file is left as it was.</exception>
    public static void Write(string path, Tensor data, NiftiAffine affine)
    {
        ArgumentNullException.ThrowIfNull(affine);
        CheckData(data, nameof(data));
        var zooms = new double[data.dim()];
        var rows = new double[12];
        for (int i = 0; i < zooms.Length; i++)
        {
            zooms[i] = 1.0;
        }

        for (int col = 0; col < 4; col++)
        {
            double norm = 0;
            for (int row = 0; row < 3; row++)
            {
                rows[(row * 4) + col] = affine[row, col];
                norm += affine[row, col] * affine[row, col];
            }

            if (col < 3 && col < zooms.Length)
            {
                zooms[col] = Math.Sqrt(norm);
            }
        }

        WriteFile(path, nameof(path), data, new NiftiHeaderFields
        {
            Version = 1,
            BigEndian = false,
            DataType = TypeOf(data.dtype),
            Shape = data.shape,
            VoxelSizes = zooms,
            Qfac = 1,
            VoxOffset = NiftiCodec.Nifti1DataStart,
            ScaleSlope = 1,
            ScaleIntercept = 0,
            XyztUnits = 2,
            Description = "Uqlib",
            QformCode = 0,
            SformCode = 2,
            Quaternion = new double[6],
            SformRows = rows,
        });
    }

    private static int HeaderSize(int version) => version == 1 ? NiftiCodec.Nifti1HeaderSize : NiftiCodec.Nifti2HeaderSize;

    private static (string Header, string Data) Locate(string path, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(path, name);
        string lower = path.ToLowerInvariant();
        string gz = lower.EndsWith(".gz", StringComparison.Ordinal) ? ".gz" : string.Empty;
        string stem = path[..^gz.Length];
        string lowerStem = lower[..^gz.Length];
        string? header = null, data = null;
        if (lowerStem.EndsWith(".nii", StringComparison.Ordinal))
        {
            header = data = path;
        }
        else if (lowerStem.EndsWith(".hdr", StringComparison.Ordinal) || lowerStem.EndsWith(".img", StringComparison.Ordinal))
        {
            string baseName = stem[..^4];
            bool upper = stem[^3..] is "HDR" or "IMG";
            header = baseName + (upper ? ".HDR" : ".hdr") + gz;
            data = baseName + (upper ? ".IMG" : ".img") + gz;
        }

        if (header is null || data is null)
        {
            throw new ArgumentException($"{name} must end in .nii, .nii.gz, .hdr or .img (optionally .gz); found '{path}'.", name);
        }

        foreach (string file in new[] { header, data })
        {
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"The NIfTI file '{file}' does not exist.", file);
            }
        }

        return (header, data);
    }

    private static Stream Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static NiftiHeaderFields ReadFields(string path, bool pair, long maxValues, out Stream stream)
    {
        stream = Open(path);
        try
        {
            var header = new byte[NiftiCodec.Nifti2HeaderSize];
            Fill(stream, header.AsSpan(0, 4), path, "the header");
            var (version, bigEndian) = NiftiCodec.Identify(header, path);
            Fill(stream, header.AsSpan(4, HeaderSize(version) - 4), path, "the header");
            var fields = NiftiCodec.Parse(header, version, bigEndian, pair, path);
            long values = fields.DataType == NiftiDataType.Rgb24 ? 3 : 1;
            foreach (long d in fields.Shape)
            {
                if (values > maxValues / d)
                {
                    throw NiftiCodec.Invalid(path, Invariant($"the header claims a volume of [{string.Join(", ", fields.Shape)}], more than MaxVoxels ({maxValues}) values"));
                }

                values *= d;
            }

            if (fields.IsScaled && !double.IsFinite(fields.ScaleIntercept))
            {
                throw NiftiCodec.Invalid(path, Invariant($"scl_slope is {fields.ScaleSlope} but scl_inter is {fields.ScaleIntercept}; the intercept must be finite"));
            }

            return fields;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static Tensor ReadData(Stream stream, NiftiHeaderFields fields, long skip, string path, ScalarType dtype)
    {
        long count = fields.ValueCount;
        int width = fields.BytesPerValue;
        long byteCount = count * width;
        if (stream is FileStream file)
        {
            long available = file.Length - file.Position - skip;
            if (available < byteCount)
            {
                throw NiftiCodec.Invalid(path, Invariant(
                    $"the data end early: the header claims {byteCount} bytes of voxel data from offset {fields.VoxOffset}, and the file holds {Math.Max(0, available)}"));
            }

            file.Seek(skip, SeekOrigin.Current);
        }
        else
        {
            Skip(stream, skip, path);
        }

        var shape = new long[fields.Shape.Count + (fields.DataType == NiftiDataType.Rgb24 ? 1 : 0)];
        for (int i = 0; i < fields.Shape.Count; i++)
        {
            shape[fields.Shape.Count - 1 - i] = fields.Shape[i];
        }

        if (fields.DataType == NiftiDataType.Rgb24)
        {
            shape[^1] = 3;
        }

        using var scope = torch.NewDisposeScope();
        var onDisk = torch.empty(shape, dtype);
        using var flat = onDisk.view(-1);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long done = 0;
            int perChunk = ChunkBytes / width;
            while (done < count)
            {
                int n = (int)Math.Min(perChunk, count - done);
                Fill(stream, buffer.AsSpan(0, n * width), path, "the voxel data", done * width, byteCount);
                using var chunk = flat.narrow(0, done, n);
                if (dtype == ScalarType.Float32)
                {
                    Convert(buffer.AsSpan(0, n * width), MemoryMarshal.Cast<byte, float>(chunk.bytes), fields);
                }
                else
                {
                    Convert(buffer.AsSpan(0, n * width), MemoryMarshal.Cast<byte, double>(chunk.bytes), fields);
                }

                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // Disk order is x fastest: reverse the spatial axes (an RGB channel axis stays last).
        var order = new long[shape.Length];
        for (int i = 0; i < fields.Shape.Count; i++)
        {
            order[i] = fields.Shape.Count - 1 - i;
        }

        if (fields.DataType == NiftiDataType.Rgb24)
        {
            order[^1] = shape.Length - 1;
        }

        return onDisk.permute(order).contiguous().MoveToOuterDisposeScope();
    }

    private static void Convert<T>(ReadOnlySpan<byte> raw, Span<T> dest, NiftiHeaderFields f)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool big = f.BigEndian;
        for (int i = 0; i < dest.Length; i++)
        {
            double v = f.DataType switch
            {
                NiftiDataType.UInt8 or NiftiDataType.Rgb24 => raw[i],
                NiftiDataType.Int8 => (sbyte)raw[i],
                NiftiDataType.Int16 => big ? BinaryPrimitives.ReadInt16BigEndian(raw[(2 * i)..]) : BinaryPrimitives.ReadInt16LittleEndian(raw[(2 * i)..]),
                NiftiDataType.UInt16 => big ? BinaryPrimitives.ReadUInt16BigEndian(raw[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]),
                NiftiDataType.Int32 => big ? BinaryPrimitives.ReadInt32BigEndian(raw[(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]),
                NiftiDataType.Float32 => big ? BinaryPrimitives.ReadSingleBigEndian(raw[(4 * i)..]) : BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]),
                _ => big ? BinaryPrimitives.ReadDoubleBigEndian(raw[(8 * i)..]) : BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]),
            };
            if (f.IsScaled && f.DataType != NiftiDataType.Rgb24)
            {
                v = (v * f.ScaleSlope) + f.ScaleIntercept;
            }

            dest[i] = T.CreateChecked(v);
        }
    }

    private static void Fill(Stream stream, Span<byte> target, string path, string what, long at = 0, long total = 0)
    {
        int read = stream.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
        if (read < target.Length)
        {
            string detail = total > 0 ? Invariant($" after {at + read} of {total} bytes") : string.Empty;
            throw NiftiCodec.Invalid(path, $"the file ends inside {what}{detail}: it is truncated");
        }
    }

    private static void Skip(Stream stream, long count, string path)
    {
        Span<byte> sink = stackalloc byte[4096];
        while (count > 0)
        {
            int n = (int)Math.Min(count, sink.Length);
            Fill(stream, sink[..n], path, "the extensions before vox_offset");
            count -= n;
        }
    }

    private static void CheckData(Tensor data, string name)
    {
        ArgumentNullException.ThrowIfNull(data, name);
        if (data.dim() is < 1 or > 7 || data.numel() == 0)
        {
            throw new ArgumentException($"{name} must have 1 to 7 dimensions and at least one value; found shape [{string.Join(", ", data.shape)}].", name);
        }

        foreach (long d in data.shape)
        {
            if (d > short.MaxValue)
            {
                throw new ArgumentException(Invariant($"{name} has a dimension of {d}; NIfTI-1 stores at most {short.MaxValue} per dimension."), name);
            }
        }

        TypeOf(data.dtype);
    }

    private static NiftiDataType TypeOf(ScalarType dtype) => dtype switch
    {
        ScalarType.Bool or ScalarType.Byte => NiftiDataType.UInt8,
        ScalarType.Int8 => NiftiDataType.Int8,
        ScalarType.Int16 => NiftiDataType.Int16,
        ScalarType.Int32 => NiftiDataType.Int32,
        ScalarType.Float32 => NiftiDataType.Float32,
        ScalarType.Float64 => NiftiDataType.Float64,
        _ => throw new ArgumentException($"data has type {dtype}; NIfTI files hold bool/uint8, int8, int16, int32, float32 or float64: convert it first (e.g. .to(ScalarType.Int32) for labels, .to(ScalarType.Float32) for maps).", "data"),
    };

    private static void WriteFile(string path, string name, Tensor data, NiftiHeaderFields fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(path, name);
        string lower = path.ToLowerInvariant();
        bool gz = lower.EndsWith(".nii.gz", StringComparison.Ordinal);
        if (!gz && !lower.EndsWith(".nii", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{name} must end in .nii or .nii.gz; found '{path}'.", name);
        }

        using var scope = torch.NewDisposeScope();
        var order = new long[data.dim()];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = order.Length - 1 - i;
        }

        var onDisk = data.detach().cpu();
        if (onDisk.dtype == ScalarType.Bool)
        {
            onDisk = onDisk.to(ScalarType.Byte);
        }

        onDisk = onDisk.permute(order).contiguous();
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Writing NIfTI files needs a little-endian machine.");
        }

        AtomicFile.Write(path, file =>
        {
            using var gzip = gz ? new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true) : null;
            Stream output = gzip ?? (Stream)file;
            var header = new byte[NiftiCodec.Nifti1DataStart];
            NiftiCodec.WriteNifti1(header, fields);
            output.Write(header);
            using var flat = onDisk.view(-1);
            long perChunk = ChunkBytes / flat.element_size();
            for (long done = 0; done < flat.numel(); done += perChunk)
            {
                using var chunk = flat.narrow(0, done, Math.Min(perChunk, flat.numel() - done));
                output.Write(chunk.bytes);
            }
        });
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
