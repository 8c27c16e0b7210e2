using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Uqlib.Imaging;

/// <summary>Parses and writes the NIfTI-1 (348-byte) and NIfTI-2 (540-byte) headers, little or big endian.</summary>
internal static class NiftiCodec
{
    public const int Nifti1HeaderSize = 348;
    public const int Nifti2HeaderSize = 540;

    /// <summary>NIfTI-1 single files start their data at 352 at the earliest: the header plus four bytes of extension flags.</summary>
    public const int Nifti1DataStart = 352;

    /// <summary>NIfTI-2 single files start their data at 544 at the earliest.</summary>
    public const int Nifti2DataStart = 544;

    /// <summary>Reads <c>sizeof_hdr</c> from the first four bytes: the version and byte order, or an error naming the value found.</summary>
    public static (int Version, bool BigEndian) Identify(ReadOnlySpan<byte> first4, string path)
    {
        int le = BinaryPrimitives.ReadInt32LittleEndian(first4);
        int be = BinaryPrimitives.ReadInt32BigEndian(first4);
        return (le, be) switch
        {
            (Nifti1HeaderSize, _) => (1, false),
            (_, Nifti1HeaderSize) => (1, true),
            (Nifti2HeaderSize, _) => (2, false),
            (_, Nifti2HeaderSize) => (2, true),
            _ => throw Invalid(path, Invariant($"sizeof_hdr is {le} (bytes 0-3); a NIfTI-1 header has 348 and a NIfTI-2 header 540, in either byte order")),
        };
    }

    public static NiftiHeaderFields Parse(ReadOnlySpan<byte> h, int version, bool bigEndian, bool pair, string path)
    {
        var r = new FieldReader(h, bigEndian);
        string magic = version == 1 ? Ascii(h.Slice(344, 4)) : Ascii(h.Slice(4, 4));
        string expected = (version, pair) switch
        {
            (1, false) => "n+1",
            (1, true) => "ni1",
            (2, false) => "n+2",
            _ => "ni2",
        };
        if (magic != expected)
        {
            throw Invalid(path, $"the magic string is '{Printable(magic)}'; a NIfTI-{version} {(pair ? "header/image pair" : "single file")} has '{expected}'");
        }

        if (version == 2 && !h.Slice(8, 4).SequenceEqual(new byte[] { 0x0D, 0x0A, 0x1A, 0x0A }))
        {
            throw Invalid(path, "the NIfTI-2 end-of-line check bytes (8-11) are not 0D 0A 1A 0A: the file was altered by a text-mode transfer");
        }

        long rank = version == 1 ? r.Int16(40) : r.Int64(16);
        if (rank is < 1 or > 7)
        {
            throw Invalid(path, Invariant($"dim[0] is {rank}; it must be between 1 and 7"));
        }

        var shape = new long[rank];
        var zooms = new double[rank];
        for (int i = 0; i < rank; i++)
        {
            shape[i] = version == 1 ? r.Int16(42 + (2 * i)) : r.Int64(24 + (8 * i));
            if (shape[i] < 1)
            {
                throw Invalid(path, Invariant($"dim[{i + 1}] is {shape[i]}; every used dimension must be at least 1"));
            }

            zooms[i] = version == 1 ? r.Single(80 + (4 * i)) : r.Double(112 + (8 * i));
        }

        int code = version == 1 ? r.Int16(70) : r.Int16(12);
        int bitpix = version == 1 ? r.Int16(72) : r.Int16(14);
        if (!Enum.IsDefined(typeof(NiftiDataType), code))
        {
            throw Invalid(path, Invariant($"datatype {code} is not supported; supported: 2 (uint8), 4 (int16), 8 (int32), 16 (float32), 64 (float64), 128 (RGB24), 256 (int8), 512 (uint16)"));
        }

        var type = (NiftiDataType)code;
        int expectedBits = NiftiHeaderFields.BytesOf(type) * (type == NiftiDataType.Rgb24 ? 24 : 8);
        if (bitpix != expectedBits)
        {
            throw Invalid(path, Invariant($"bitpix is {bitpix}; datatype {type} has {expectedBits}"));
        }

        double qfac = version == 1 ? r.Single(76) : r.Double(104);
        double voxOffsetRaw = version == 1 ? r.Single(108) : r.Int64(168);
        if (!double.IsFinite(voxOffsetRaw) || voxOffsetRaw < 0 || voxOffsetRaw != Math.Floor(voxOffsetRaw) || voxOffsetRaw > long.MaxValue / 2)
        {
            throw Invalid(path, Invariant($"vox_offset is {voxOffsetRaw}; it must be a non-negative whole number of bytes"));
        }

        long voxOffset = (long)voxOffsetRaw;
        int minOffset = version == 1 ? Nifti1DataStart : Nifti2DataStart;
        if (!pair && voxOffset < minOffset)
        {
            // Old writers leave 0 or 348; the data then start right after the header and extension flags.
            voxOffset = minOffset;
        }

        var quaternion = new double[6];
        var srows = new double[12];
        for (int i = 0; i < 6; i++)
        {
            quaternion[i] = version == 1 ? r.Single(256 + (4 * i)) : r.Double(352 + (8 * i));
        }

        for (int i = 0; i < 12; i++)
        {
            srows[i] = version == 1 ? r.Single(280 + (4 * i)) : r.Double(400 + (8 * i));
        }

        return new NiftiHeaderFields
        {
            Version = version,
            BigEndian = bigEndian,
            DataType = type,
            Shape = shape,
            VoxelSizes = zooms,
            Qfac = qfac < 0 ? -1.0 : 1.0,
            VoxOffset = voxOffset,
            ScaleSlope = version == 1 ? r.Single(112) : r.Double(176),
            ScaleIntercept = version == 1 ? r.Single(116) : r.Double(184),
            XyztUnits = version == 1 ? h[123] : r.Int32(500),
            Description = Ascii(version == 1 ? h.Slice(148, 80) : h.Slice(240, 80)),
            QformCode = version == 1 ? r.Int16(252) : r.Int32(344),
            SformCode = version == 1 ? r.Int16(254) : r.Int32(348),
            Quaternion = quaternion,
            SformRows = srows,
        };
    }

    /// <summary>Writes a little-endian NIfTI-1 single-file header (348 bytes plus four zero extension bytes) for the fields.</summary>
    public static void WriteNifti1(Span<byte> h, NiftiHeaderFields f)
    {
        h[..Nifti1DataStart].Clear();
        BinaryPrimitives.WriteInt32LittleEndian(h, Nifti1HeaderSize);
        h[38] = (byte)'r';
        BinaryPrimitives.WriteInt16LittleEndian(h[40..], (short)f.Shape.Count);
        for (int i = 0; i < 7; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(h[(42 + (2 * i))..], (short)(i < f.Shape.Count ? f.Shape[i] : 1));
            BinaryPrimitives.WriteSingleLittleEndian(h[(80 + (4 * i))..], (float)(i < f.VoxelSizes.Count ? f.VoxelSizes[i] : 1.0));
        }

        BinaryPrimitives.WriteInt16LittleEndian(h[70..], (short)f.DataType);
        BinaryPrimitives.WriteInt16LittleEndian(h[72..], (short)(NiftiHeaderFields.BytesOf(f.DataType) * (f.DataType == NiftiDataType.Rgb24 ? 24 : 8)));
        BinaryPrimitives.WriteSingleLittleEndian(h[76..], (float)f.Qfac);
        BinaryPrimitives.WriteSingleLittleEndian(h[108..], Nifti1DataStart);
        BinaryPrimitives.WriteSingleLittleEndian(h[112..], (float)f.ScaleSlope);
        BinaryPrimitives.WriteSingleLittleEndian(h[116..], (float)f.ScaleIntercept);
        h[123] = (byte)f.XyztUnits;
        Encoding.ASCII.GetBytes(f.Description.AsSpan(0, Math.Min(f.Description.Length, 79)), h.Slice(148, 80));
        BinaryPrimitives.WriteInt16LittleEndian(h[252..], (short)f.QformCode);
        BinaryPrimitives.WriteInt16LittleEndian(h[254..], (short)f.SformCode);
        for (int i = 0; i < 6; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(h[(256 + (4 * i))..], (float)f.Quaternion[i]);
        }

        for (int i = 0; i < 12; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(h[(280 + (4 * i))..], (float)f.SformRows[i]);
        }

        "n+1\0"u8.CopyTo(h[344..]);
    }

    public static InvalidImageException Invalid(string path, string problem, Exception? inner = null) =>
        new(path, $"not a valid NIfTI file: {problem}.", inner);

    private static string Ascii(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? bytes : bytes[..end]);
    }

    private static string Printable(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            sb.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return sb.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private readonly ref struct FieldReader(ReadOnlySpan<byte> header, bool bigEndian)
    {
        private readonly ReadOnlySpan<byte> _h = header;

        public short Int16(int at) => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(_h[at..]) : BinaryPrimitives.ReadInt16LittleEndian(_h[at..]);

        public int Int32(int at) => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(_h[at..]) : BinaryPrimitives.ReadInt32LittleEndian(_h[at..]);

        public long Int64(int at) => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(_h[at..]) : BinaryPrimitives.ReadInt64LittleEndian(_h[at..]);

        public float Single(int at) => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(_h[at..]) : BinaryPrimitives.ReadSingleLittleEndian(_h[at..]);

        public double Double(int at) => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(_h[at..]) : BinaryPrimitives.ReadDoubleLittleEndian(_h[at..]);
    }
}
