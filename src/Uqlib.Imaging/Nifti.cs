using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.CompilerServices;
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
    private const int SlabBytes = 1 << 24;

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

        // Disk order is x fastest; the tensor is in C order (X, Y, Z, …) with an RGB channel axis last. The data stream in slabs of up to
        // 16 slices of the slowest disk axis, which is the tensor's fastest spatial axis: each voxel's slab values land side by side, and
        // x runs in tiles of 16 so that reads and writes both stay within a few cache lines.
        int rank = fields.Shape.Count;
        int channels = fields.DataType == NiftiDataType.Rgb24 ? 3 : 1;
        var shape = new long[rank + (channels == 3 ? 1 : 0)];
        for (int i = 0; i < rank; i++)
        {
            shape[i] = fields.Shape[i];
        }

        if (channels == 3)
        {
            shape[^1] = 3;
        }

        long last = fields.Shape[rank - 1];
        long others = count / (last * channels);
        int sliceBytes = checked((int)(others * channels * width));
        int slab = (int)Math.Clamp(SlabBytes / sliceBytes, 1, Math.Min(16, last));
        var data = torch.empty(shape, dtype);
        using var planes = data.view(rank > 1 ? fields.Shape[0] : 1, -1);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(slab * sliceBytes);
        try
        {
            var layout = new SlabLayout(fields.Shape, channels, fields.IsScaled && channels == 1, fields.ScaleSlope, fields.ScaleIntercept);
            for (long first = 0; first < last; first += slab)
            {
                int slices = (int)Math.Min(slab, last - first);
                var raw = buffer.AsSpan(0, slices * sliceBytes);
                Fill(stream, raw, path, "the voxel data", first * sliceBytes, byteCount);
                if (fields.BigEndian)
                {
                    SwapBytes(raw, width);
                }

                if (dtype == ScalarType.Float32)
                {
                    Scatter<float>(raw, planes, fields.DataType, layout, first, slices);
                }
                else
                {
                    Scatter<double>(raw, planes, fields.DataType, layout, first, slices);
                }
            }
        }
        catch
        {
            data.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return data;
    }

    private static void SwapBytes(Span<byte> raw, int width)
    {
        switch (width)
        {
            case 2:
                var shorts = MemoryMarshal.Cast<byte, ushort>(raw);
                BinaryPrimitives.ReverseEndianness(shorts, shorts);
                break;
            case 4:
                var ints = MemoryMarshal.Cast<byte, uint>(raw);
                BinaryPrimitives.ReverseEndianness(ints, ints);
                break;
            case 8:
                var longs = MemoryMarshal.Cast<byte, ulong>(raw);
                BinaryPrimitives.ReverseEndianness(longs, longs);
                break;
        }
    }

    private static void Scatter<T>(ReadOnlySpan<byte> raw, Tensor planes, NiftiDataType type, in SlabLayout layout, long first, int slices)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (type)
        {
            case NiftiDataType.UInt8 or NiftiDataType.Rgb24:
                Scatter<byte, T>(raw, planes, layout, first, slices);
                break;
            case NiftiDataType.Int8:
                Scatter<sbyte, T>(MemoryMarshal.Cast<byte, sbyte>(raw), planes, layout, first, slices);
                break;
            case NiftiDataType.Int16:
                Scatter<short, T>(MemoryMarshal.Cast<byte, short>(raw), planes, layout, first, slices);
                break;
            case NiftiDataType.UInt16:
                Scatter<ushort, T>(MemoryMarshal.Cast<byte, ushort>(raw), planes, layout, first, slices);
                break;
            case NiftiDataType.Int32:
                Scatter<int, T>(MemoryMarshal.Cast<byte, int>(raw), planes, layout, first, slices);
                break;
            case NiftiDataType.Float32:
                Scatter<float, T>(MemoryMarshal.Cast<byte, float>(raw), planes, layout, first, slices);
                break;
            default:
                Scatter<double, T>(MemoryMarshal.Cast<byte, double>(raw), planes, layout, first, slices);
                break;
        }
    }

    /// <summary>
    /// Converts a slab of <paramref name="slices"/> slices (disk order) into its place in the C-ordered tensor, seen as
    /// <paramref name="planes"/>: one row per x, each holding that x's contiguous (outer axes…, last[, channels]) block.
    /// </summary>
    private static void Scatter<TSource, T>(ReadOnlySpan<TSource> source, Tensor planes, in SlabLayout layout, long first, int slices)
        where TSource : unmanaged, INumberBase<TSource>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int channels = layout.Channels;
        long x = layout.X;
        long sliceValues = layout.Others * channels;
        long rowValues = layout.Last * channels;
        long planeValues = planes.shape[1];
        long tileSize = Math.Clamp(int.MaxValue / (planeValues * Unsafe.SizeOf<T>()), 1, 16);
        int step = (int)sliceValues;
        bool scaled = layout.Scaled;
        double slope = layout.Slope;
        double intercept = layout.Intercept;
        var outer = new long[layout.OuterShape.Length];
        for (long tile = 0; tile < x; tile += tileSize)
        {
            long count = Math.Min(tileSize, x - tile);
            using var block = planes.narrow(0, tile, count);
            var dest = MemoryMarshal.Cast<byte, T>(block.bytes);
            Array.Clear(outer);
            long outerStart = 0;
            for (long q = 0; q < layout.Others / x; q++)
            {
                // The offset of (x = tile, the outer axes' current values, first) in the block; the source offset of that x.
                long rowBase = (outerStart * rowValues) + (first * channels);
                long sourceBase = ((q * x) + tile) * channels;
                for (long i = 0; i < count; i++)
                {
                    var row = dest.Slice((int)(rowBase + (i * planeValues)), slices * channels);
                    int from = (int)(sourceBase + (i * channels));
                    if (scaled)
                    {
                        for (int j = 0; j < row.Length; j++)
                        {
                            row[j] = T.CreateTruncating((double.CreateTruncating(source[from + ((j / channels) * step) + (j % channels)]) * slope) + intercept);
                        }
                    }
                    else if (channels == 1)
                    {
                        for (int j = 0; j < row.Length; j++)
                        {
                            row[j] = T.CreateTruncating(source[from + (j * step)]);
                        }
                    }
                    else
                    {
                        for (int j = 0; j < row.Length; j++)
                        {
                            row[j] = T.CreateTruncating(source[from + ((j / channels) * step) + (j % channels)]);
                        }
                    }
                }

                // Next outer index in disk order (the first outer axis fastest); the tensor's outer strides run the other way.
                for (int axis = 0; axis < outer.Length; axis++)
                {
                    outerStart += layout.OuterStrides[axis];
                    if (++outer[axis] < layout.OuterShape[axis])
                    {
                        break;
                    }

                    outerStart -= outer[axis] * layout.OuterStrides[axis];
                    outer[axis] = 0;
                }
            }
        }
    }

    /// <summary>The geometry of a C-ordered (X, outer axes…, last[, channels]) tensor filled from x-fastest disk data.</summary>
    private readonly struct SlabLayout
    {
        public SlabLayout(System.Collections.Generic.IReadOnlyList<long> diskShape, int channels, bool scaled, double slope, double intercept)
        {
            int rank = diskShape.Count;
            Channels = channels;
            Last = diskShape[rank - 1];
            X = rank > 1 ? diskShape[0] : 1;
            int outerRank = Math.Max(rank - 2, 0);
            OuterShape = new long[outerRank];
            OuterStrides = new long[outerRank];
            long stride = 1;
            for (int axis = outerRank - 1; axis >= 0; axis--)
            {
                OuterShape[axis] = diskShape[axis + 1];
                OuterStrides[axis] = stride;
                stride *= OuterShape[axis];
            }

            Others = X * stride;
            Scaled = scaled;
            Slope = slope;
            Intercept = intercept;
        }

        public int Channels { get; }

        public long X { get; }

        public long[] OuterShape { get; }

        public long[] OuterStrides { get; }

        public long Others { get; }

        public long Last { get; }

        public bool Scaled { get; }

        public double Slope { get; }

        public double Intercept { get; }
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
