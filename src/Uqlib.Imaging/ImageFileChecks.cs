using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace Uqlib.Imaging;

/// <summary>
/// Structural checks that catch the damage decoders forgive: ImageSharp 2.1 decodes a PNG cut inside its image data
/// without error and fills the missing rows with zeros, and similar leniency applies to other formats.
/// Each check returns the problem as a sentence, or <see langword="null"/> when the file looks complete.
/// </summary>
internal static class ImageFileChecks
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = MakeCrcTable();

    /// <summary>Walks every PNG chunk: lengths inside the file, CRCs correct, IHDR first, an IDAT, IEND present.</summary>
    public static string? CheckPng(ReadOnlySpan<byte> file)
    {
        if (file.Length < PngSignature.Length || !file[..PngSignature.Length].SequenceEqual(PngSignature))
        {
            return "it does not start with the PNG signature.";
        }

        var position = PngSignature.Length;
        var index = 0;
        var sawImageData = false;
        while (true)
        {
            if (position == file.Length)
            {
                return "it has no IEND chunk: the file is truncated" + (sawImageData ? " after its image data." : " inside or before its image data.");
            }

            if (file.Length - position < 12)
            {
                return Invariant($"it ends inside a chunk header at byte {position} of {file.Length}: the file is truncated.");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(file[position..]);
            var type = Encoding.ASCII.GetString(file.Slice(position + 4, 4));
            if (length > (uint)(file.Length - position - 12))
            {
                return Invariant($"its {type} chunk at byte {position} declares {length} bytes but the file ends {file.Length - position - 12} bytes later: the file is truncated inside the {(type == "IDAT" ? "image data" : type + " chunk")}.");
            }

            var body = file.Slice(position + 4, 4 + (int)length);
            var stored = BinaryPrimitives.ReadUInt32BigEndian(file[(position + 8 + (int)length)..]);
            var computed = Crc32(body);
            if (stored != computed)
            {
                return Invariant($"CRC error in its {type} chunk at byte {position} (stored 0x{stored:X8}, computed 0x{computed:X8}): the file is corrupt.");
            }

            if (index == 0 && type != "IHDR")
            {
                return $"its first chunk is {type}, not IHDR.";
            }

            sawImageData |= type == "IDAT";
            position += 12 + (int)length;
            index++;
            if (type == "IEND")
            {
                return sawImageData ? null : "it has no IDAT chunk: there is no image data.";
            }
        }
    }

    /// <summary>The number of bytes the filtered scanlines of a PNG need: per row (of each Adam7 pass when interlaced) one filter byte and ⌈width · bits per pixel / 8⌉ bytes.</summary>
    internal static long PngImageDataLength(long width, long height, int bitDepth, int colorType, bool interlaced)
    {
        var channels = colorType switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };
        var bitsPerPixel = (long)channels * bitDepth;
        long RowsBytes(long columns, long rows) => columns == 0 || rows == 0 ? 0 : rows * (1 + (((columns * bitsPerPixel) + 7) / 8));
        if (!interlaced)
        {
            return RowsBytes(width, height);
        }

        ReadOnlySpan<int> passes = [0, 0, 8, 8, 4, 0, 8, 8, 0, 4, 4, 8, 2, 0, 4, 4, 0, 2, 2, 4, 1, 0, 2, 2, 0, 1, 1, 2];
        long total = 0;
        for (var p = 0; p < passes.Length; p += 4)
        {
            var columns = width > passes[p] ? (width - passes[p] + passes[p + 2] - 1) / passes[p + 2] : 0;
            var rows = height > passes[p + 1] ? (height - passes[p + 1] + passes[p + 3] - 1) / passes[p + 3] : 0;
            total += RowsBytes(columns, rows);
        }

        return total;
    }

    /// <summary>
    /// Inflates the concatenated IDAT data of a PNG that passed <see cref="CheckPng"/>, counting (not keeping) its bytes, against what IHDR's size,
    /// colour type, bit depth and interlacing need: a complete file whose compressed data holds too few rows (ImageSharp 2.1 fills the rest with
    /// zeros, without error) is refused before any pixel memory is allocated. Costs one extra inflate of the image data.
    /// </summary>
    public static string? CheckPngImageData(ReadOnlySpan<byte> file)
    {
        // IHDR is the first chunk (checked): width, height, bit depth, colour type, compression, filter, interlace.
        var header = file.Slice(PngSignature.Length + 8, 13);
        var width = BinaryPrimitives.ReadUInt32BigEndian(header);
        var height = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        var needed = PngImageDataLength(width, height, header[8], header[9], header[12] == 1);
        using var compressed = new MemoryStream();
        for (var position = PngSignature.Length; position < file.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(file[position..]);
            if (file.Slice(position + 4, 4).SequenceEqual("IDAT"u8))
            {
                compressed.Write(file.Slice(position + 8, length));
            }

            position += 12 + length;
        }

        compressed.Position = 0;
        long inflated = 0;
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
            var buffer = new byte[64 * 1024];
            int read;
            while (inflated < needed && (read = zlib.Read(buffer, 0, (int)Math.Min(buffer.Length, needed - inflated))) > 0)
            {
                inflated += read;
            }
        }
        catch (InvalidDataException ex)
        {
            return Invariant($"its image data (IDAT) is not a valid zlib stream ({ex.Message}) after {inflated} of the {needed} bytes its {width} × {height} header needs: the file is corrupt.");
        }

        if (inflated >= needed)
        {
            return null;
        }

        var rowBytes = header[12] == 1 ? 0 : needed / Math.Max(1, height);
        var rows = rowBytes > 0 ? Invariant($" (about {inflated / rowBytes} of its {height} rows)") : string.Empty;
        return Invariant($"its image data (IDAT) inflates to {inflated} bytes{rows}, but its {width} × {height} header needs {needed}: the image data is truncated, and the missing rows would load as zeros.");
    }

    /// <summary>
    /// Walks a JPEG's marker segments (ITU-T T.81 annex B): SOI, segments whose declared lengths lie inside the file, and after each SOS its
    /// entropy-coded data (where FF 00 is a data byte and FF D0–D7 are restart markers) up to the next marker, until EOI; bytes after EOI are
    /// allowed. A Huffman scan whose entropy-coded data has fewer bytes than its blocks need at the least is refused too: every Huffman code
    /// is at least 1 bit, so a sequential scan needs 2 bits per block (a DC code and at least one AC code) and a progressive DC scan 1 bit.
    /// ImageSharp 2.1 decodes a cut file without error and leaves the missing blocks flat. Not detected: a file whose scan data was cut but
    /// which still ends in EOI and keeps more data than that lower bound (progressive AC scans, whose end-of-band runs may cover any number
    /// of blocks, have no bound at all).
    /// </summary>
    public static string? CheckJpeg(ReadOnlySpan<byte> file)
    {
        if (file.Length < 2 || file[0] != 0xFF || file[1] != 0xD8)
        {
            return "it does not start with the JPEG start-of-image marker (FF D8).";
        }

        const string Truncated = "the file is truncated before its end-of-image marker (FF D9).";
        var frame = default(JpegFrame);
        var position = 2;
        while (true)
        {
            if (position >= file.Length)
            {
                return Invariant($"it ends at byte {file.Length} where a marker must follow: {Truncated}");
            }

            if (file[position] != 0xFF)
            {
                return Invariant($"byte {position} is 0x{file[position]:X2} where a marker (FF) must start: the file is corrupt.");
            }

            var start = position;
            while (position < file.Length && file[position] == 0xFF)
            {
                position++;
            }

            if (position == file.Length)
            {
                return Invariant($"it ends inside the marker at byte {start}: {Truncated}");
            }

            var marker = file[position++];
            if (marker == 0xD9)
            {
                return null;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue;
            }

            if (marker is 0x00 or 0xD8)
            {
                return Invariant($"it has the marker FF {marker:X2} at byte {start}, which cannot appear between segments: the file is corrupt.");
            }

            if (file.Length - position < 2)
            {
                return Invariant($"it ends inside the length of its FF {marker:X2} segment at byte {start}: {Truncated}");
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(file[position..]);
            if (length < 2 || length > file.Length - position)
            {
                return length < 2
                    ? Invariant($"its FF {marker:X2} segment at byte {start} declares a length of {length}, less than 2: the file is corrupt.")
                    : Invariant($"its FF {marker:X2} segment at byte {start} declares {length} bytes but the file ends {file.Length - position} bytes later: {Truncated}");
            }

            var segment = file.Slice(position + 2, length - 2);
            position += length;
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                frame = JpegFrame.Read(marker, segment);
            }

            if (marker != 0xDA)
            {
                continue;
            }

            // Entropy-coded data: a 0xFF byte is either stuffed (FF 00), a restart marker, a fill byte, or the start of the next marker.
            var dataStart = position;
            long dataBytes = 0;
            while (true)
            {
                var next = file[position..].IndexOf((byte)0xFF);
                if (next < 0 || position + next + 1 >= file.Length)
                {
                    return Invariant($"it ends inside the entropy-coded data of its scan at byte {start}: {Truncated}");
                }

                dataBytes += next;
                position += next;
                var code = file[position + 1];
                if (code is 0xFF)
                {
                    position++;
                }
                else if (code is 0x00 or (>= 0xD0 and <= 0xD7))
                {
                    dataBytes += code == 0x00 ? 1 : 0;
                    position += 2;
                }
                else
                {
                    break;
                }
            }

            var leastBits = frame.LeastScanBits(segment);
            if (dataBytes * 8 < leastBits)
            {
                return Invariant($"its scan at byte {start} holds {dataBytes} bytes of entropy-coded data (from byte {dataStart}), fewer than the {(leastBits + 7) / 8} its {frame.Width} × {frame.Height} frame needs at the least: the scan data is truncated, and the missing blocks would load flat.");
            }
        }
    }

    /// <summary>The parts of a JPEG frame header (SOFn) that fix how many 8 × 8 blocks each scan codes; the default is no frame (no bound).</summary>
    /// <param name="Marker">The SOFn marker code, which names the coding process.</param>
    /// <param name="Width">The frame's width X.</param>
    /// <param name="Height">The frame's height Y (0 when a DNL segment gives it later).</param>
    /// <param name="Components">Per component its id, then its sampling factors (H in the high nibble, V in the low one).</param>
    private readonly record struct JpegFrame(byte Marker, int Width, int Height, byte[] Components)
    {
        /// <summary>Reads SOFn: precision, height, width, then per component its id and sampling factors H (high nibble) and V (low nibble).</summary>
        public static JpegFrame Read(byte marker, ReadOnlySpan<byte> segment)
        {
            if (segment.Length < 6 || segment.Length < 6 + (3 * segment[5]))
            {
                return default;
            }

            var components = new byte[segment[5] * 2];
            for (var i = 0; i < segment[5]; i++)
            {
                components[2 * i] = segment[6 + (3 * i)];
                components[(2 * i) + 1] = segment[7 + (3 * i)];
            }

            return new JpegFrame(marker, BinaryPrimitives.ReadUInt16BigEndian(segment[3..]), BinaryPrimitives.ReadUInt16BigEndian(segment[1..]), components);
        }

        /// <summary>
        /// The fewest bits the entropy-coded data of the scan with header <paramref name="scan"/> can hold: 2 per block for a sequential Huffman frame
        /// (SOF0, SOF1), 1 per block for a progressive Huffman DC scan (SOF2, Ss = 0), 0 otherwise (arithmetic, lossless, progressive AC, unknown size).
        /// Blocks per T.81 A.2: a one-component scan codes ⌈⌈X·H/Hmax⌉/8⌉ × ⌈⌈Y·V/Vmax⌉/8⌉ blocks, an interleaved one ⌈X/8Hmax⌉ · ⌈Y/8Vmax⌉ MCUs of Σ H·V.
        /// </summary>
        public long LeastScanBits(ReadOnlySpan<byte> scan)
        {
            if (Components is null || Width == 0 || Height == 0 || scan.Length < 1 || scan.Length < 4 + (2 * scan[0]))
            {
                return 0;
            }

            var count = scan[0];
            var spectralStart = scan[1 + (2 * count)];
            long bitsPerBlock = Marker switch { 0xC0 or 0xC1 => 2, 0xC2 when spectralStart == 0 => 1, _ => 0 };
            int hMax = 1, vMax = 1;
            for (var i = 1; i < Components.Length; i += 2)
            {
                hMax = Math.Max(hMax, Components[i] >> 4);
                vMax = Math.Max(vMax, Components[i] & 0xF);
            }

            long blocks = 0;
            for (var s = 0; s < count; s++)
            {
                var index = -1;
                for (var c = 0; c < Components.Length && index < 0; c += 2)
                {
                    index = Components[c] == scan[1 + (2 * s)] ? c : -1;
                }

                if (index < 0)
                {
                    return 0;
                }

                long h = Components[index + 1] >> 4, v = Components[index + 1] & 0xF;
                blocks += count == 1
                    ? Ceiling(Ceiling(Width * h, hMax), 8) * Ceiling(Ceiling(Height * v, vMax), 8)
                    : Ceiling(Width, 8 * hMax) * Ceiling(Height, 8 * vMax) * h * v;
            }

            return blocks * bitsPerBlock;
        }

        private static long Ceiling(long numerator, long denominator) => (numerator + denominator - 1) / denominator;
    }

    /// <summary>Checks that a BMP file holds as many bytes as its headers declare.</summary>
    public static string? CheckBmp(ReadOnlySpan<byte> file)
    {
        if (file.Length < 34)
        {
            return Invariant($"it is {file.Length} bytes long, shorter than the BMP headers: the file is truncated.");
        }

        var declared = BinaryPrimitives.ReadUInt32LittleEndian(file[2..]);
        if (declared > file.Length)
        {
            return Invariant($"its header declares {declared} bytes but the file has {file.Length}: the file is truncated.");
        }

        var pixelOffset = (long)BinaryPrimitives.ReadUInt32LittleEndian(file[10..]);
        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(file[14..]);
        if (headerSize >= 40)
        {
            long width = BinaryPrimitives.ReadInt32LittleEndian(file[18..]);
            long height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(file[22..]));
            int bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(file[28..]);
            var compression = BinaryPrimitives.ReadUInt32LittleEndian(file[30..]);
            if (compression is 0 or 3 && width > 0)
            {
                var rowBytes = ((bitsPerPixel * width) + 31) / 32 * 4;
                var needed = pixelOffset + (rowBytes * height);
                if (needed > file.Length)
                {
                    return Invariant($"its pixel data needs {needed} bytes but the file has {file.Length}: the file is truncated.");
                }
            }
        }

        return null;
    }

    /// <summary>Checks that every strip or tile of a TIFF's first image lies inside the file and, for uncompressed chunky strips, that they hold every row the header claims.</summary>
    public static string? CheckTiff(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8)
        {
            return "it is shorter than a TIFF header: the file is truncated.";
        }

        var little = file[0] == (byte)'I';
        var ifd = ReadUInt32(file, 4, little);
        if (ifd + 2L > file.Length)
        {
            return Invariant($"its first image directory at byte {ifd} lies beyond the end of the file ({file.Length} bytes): the file is truncated.");
        }

        int entries = ReadUInt16(file, (int)ifd, little);
        if (ifd + 2L + (entries * 12L) + 4 > file.Length)
        {
            return "its first image directory runs past the end of the file: the file is truncated.";
        }

        long[]? offsets = null;
        long[]? counts = null;
        long[]? bits = null;
        long width = 0, height = 0, compression = 1, planar = 1;
        for (var e = 0; e < entries; e++)
        {
            var entry = (int)ifd + 2 + (e * 12);
            var tag = ReadUInt16(file, entry, little);
            var bytes = (long)ReadUInt32(file, entry + 4, little) * TypeSize(ReadUInt16(file, entry + 2, little));
            if (bytes > 4 && ReadUInt32(file, entry + 8, little) + bytes > file.Length)
            {
                return Invariant($"the value of its tag {tag} lies beyond the end of the file ({file.Length} bytes): the file is truncated.");
            }

            if (tag is 273 or 324)
            {
                offsets = ReadValues(file, entry, little);
            }
            else if (tag is 279 or 325)
            {
                counts = ReadValues(file, entry, little);
            }
            else if (tag is 256 or 257 or 259 or 284 && ReadValues(file, entry, little) is [var value])
            {
                switch (tag)
                {
                    case 256:
                        width = value;
                        break;
                    case 257:
                        height = value;
                        break;
                    case 259:
                        compression = value;
                        break;
                    default:
                        planar = value;
                        break;
                }
            }
            else if (tag == 258)
            {
                bits = ReadValues(file, entry, little);
            }
        }

        if (offsets is null || counts is null || offsets.Length != counts.Length)
        {
            return null;
        }

        for (var i = 0; i < offsets.Length; i++)
        {
            if (offsets[i] < 0 || counts[i] < 0 || offsets[i] + counts[i] > file.Length)
            {
                return Invariant($"its strip {i} spans bytes {offsets[i]} to {offsets[i] + counts[i]} but the file has {file.Length}: the file is truncated.");
            }
        }

        // Uncompressed chunky strips: the strip byte counts must cover height rows of ⌈width · Σ bits per sample / 8⌉ bytes (ImageSharp 2.1 leaves the rest 0).
        if (compression != 1 || planar != 1 || bits is null || width < 1 || height < 1)
        {
            return null;
        }

        long bitsPerPixel = 0, stored = 0;
        foreach (var b in bits)
        {
            bitsPerPixel += b;
        }

        foreach (var c in counts)
        {
            stored += c;
        }

        var needed = height * (((width * bitsPerPixel) + 7) / 8);
        return stored >= needed
            ? null
            : Invariant($"its uncompressed strips hold {stored} bytes but its {width} × {height} header needs {needed}: the pixel data is truncated, and the missing rows would load as zeros.");
    }

    internal static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static long[]? ReadValues(ReadOnlySpan<byte> file, int entry, bool little)
    {
        var type = ReadUInt16(file, entry + 2, little);
        var count = ReadUInt32(file, entry + 4, little);
        var size = type switch { 3 => 2, 4 => 4, 16 => 8, _ => 0 };
        if (size == 0 || count > int.MaxValue / 8)
        {
            return null;
        }

        var start = count * size <= 4 ? entry + 8L : ReadUInt32(file, entry + 8, little);
        if (start + (count * size) > file.Length)
        {
            return [long.MaxValue / 2];
        }

        var values = new long[count];
        for (var i = 0; i < values.Length; i++)
        {
            var at = (int)start + (i * size);
            values[i] = size switch
            {
                2 => ReadUInt16(file, at, little),
                4 => ReadUInt32(file, at, little),
                _ => (long)(little ? BinaryPrimitives.ReadUInt64LittleEndian(file[at..]) : BinaryPrimitives.ReadUInt64BigEndian(file[at..])),
            };
        }

        return values;
    }

    private static int TypeSize(int type) => type switch
    {
        3 or 8 => 2,
        4 or 9 or 11 => 4,
        5 or 10 or 12 or 16 or 17 or 18 => 8,
        _ => 1,
    };

    private static ushort ReadUInt16(ReadOnlySpan<byte> file, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(file[at..]) : BinaryPrimitives.ReadUInt16BigEndian(file[at..]);

    private static uint ReadUInt32(ReadOnlySpan<byte> file, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(file[at..]) : BinaryPrimitives.ReadUInt32BigEndian(file[at..]);

    private static uint[] MakeCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
