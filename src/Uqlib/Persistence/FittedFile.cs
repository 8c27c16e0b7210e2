using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading;

namespace Uqlib.Persistence;

/// <summary>
/// The one file envelope of every fitted value the library saves: a signature, a JSON header naming the format, the kind and its
/// version, then a payload protected by its SHA-256; written to a temporary file in the same folder and moved into place.
/// </summary>
/// <remarks>
/// <para>Layout (integers little-endian):</para>
/// <list type="number">
/// <item>the 10-byte signature <c>0x89 "UQLIB" "\r\n" 0x1A "\n"</c> (as PNG's, it catches text-mode transfers);</item>
/// <item>an int32 length h and h bytes of UTF-8 JSON: <c>{"format":"uqlib-fitted","formatVersion":1,"kind":"…","version":n}</c>;</item>
/// <item>an int64 payload length N and the 32-byte SHA-256 of the payload;</item>
/// <item>the payload: an int32 length m, m bytes of UTF-8 JSON holding the value's fields (a tensor field is
/// <c>{"dtype","shape","offset"}</c>), then the tensors' raw little-endian elements, one after another.</item>
/// </list>
/// <para>Matrices stay binary because a kNN bank can hold 10⁸ floats: as JSON text or base64 it would be 1.3–3× larger and
/// slower to read. Reading checks the signature, header, kind, version, length and checksum before it builds anything, and disposes
/// every tensor it made when a later check fails, so a load either succeeds or leaves nothing behind. Every problem is an
/// <see cref="InvalidDataException"/> worded <c>'{path}' is not a valid {kind} file: {problem}.</c></para>
/// </remarks>
internal static class FittedFile
{
    /// <summary>The format name in every header.</summary>
    public const string Format = "uqlib-fitted";

    /// <summary>The layout version this library writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The most tensor bytes copied at once between a file and a tensor (bounds the spans over native memory).</summary>
    internal const int ChunkBytes = 1 << 24;

    private const int MaxHeaderLength = 1 << 16;
    private const int HashLength = 32;

    /// <summary>Gets the 10 bytes every saved file starts with.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'U', (byte)'Q', (byte)'L', (byte)'I', (byte)'B', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    /// <summary>Saves a fitted value atomically: the fields are collected first, the file is written to a temporary file beside <paramref name="path"/> and moved over it; on failure the temporary file is removed and any old file is left as it was.</summary>
    /// <param name="path">The file; replaced if it exists.</param>
    /// <param name="kind">The kind of value (its public type name).</param>
    /// <param name="version">The version of the kind's fields, at least 1.</param>
    /// <param name="write">Writes the fields.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(string path, string kind, int version, Action<FittedWriter> write)
    {
        CheckPath(path);
        using var fields = new FittedWriter();
        write(fields);
        var header = Header(kind, version);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> number = stackalloc byte[8];
            stream.Write(Signature);
            BinaryPrimitives.WriteInt32LittleEndian(number, header.Length);
            stream.Write(number[..4]);
            stream.Write(header);
            var lengthAt = stream.Position;
            stream.Write(new byte[8 + HashLength]);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var length = fields.WritePayload(stream, hash);
            stream.Position = lengthAt;
            BinaryPrimitives.WriteInt64LittleEndian(number, length);
            stream.Write(number);
            stream.Write(hash.GetHashAndReset());
        });
    }

    /// <summary>Loads a fitted value: checks the envelope, then lets <paramref name="read"/> build the value from its fields.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="path">The file.</param>
    /// <param name="kind">The kind expected.</param>
    /// <param name="version">The newest version of the kind's fields this library reads.</param>
    /// <param name="read">Builds the value; it reads every tensor before constructing anything that owns them. A validation
    /// failure it throws (<see cref="InvalidDataException"/>, <see cref="ArgumentException"/>, …) is reported as an invalid file.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a Uqlib file, was saved by Uqlib 0.1, is truncated, corrupt (checksum), of a newer version or of another kind, or its fields are invalid.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static T Load<T>(string path, string kind, int version, Func<FittedReader, T> read)
    {
        CheckPath(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var context = Open(stream, path, kind, version);
        try
        {
            var value = read(new FittedReader(context, context.Root));
            context.Keep();
            return value;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or InvalidOperationException or EndOfStreamException
                                      or InvalidDataException)
        {
            if (e is InvalidDataException && e.Message.StartsWith(Prefix(path, kind), StringComparison.Ordinal))
            {
                throw;
            }

            var message = e is ArgumentException { ParamName: { } name } argument
                ? argument.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal)
                : e.Message;
            throw Invalid(path, kind, message.TrimEnd('.'), e);
        }
    }

    /// <summary>The error for an invalid file: <c>'{path}' is not a valid {kind} file: {problem}.</c></summary>
    public static InvalidDataException Invalid(string path, string kind, string problem, Exception? inner = null)
    {
        return new InvalidDataException($"{Prefix(path, kind)}{problem}.", inner);
    }

    private static string Prefix(string path, string kind) => $"'{path}' is not a valid {kind} file: ";

    private static byte[] Header(string kind, int version)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteNumber("formatVersion", FormatVersion);
            json.WriteString("kind", kind);
            json.WriteNumber("version", version);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static FittedFileContext Open(FileStream stream, string path, string kind, int version)
    {
        Span<byte> signature = stackalloc byte[Signature.Length];
        var found = stream.ReadAtLeast(signature, signature.Length, throwOnEndOfStream: false);
        if (found == 0)
        {
            throw Invalid(path, kind, "it is empty");
        }

        if (!signature[..found].SequenceEqual(Signature[..found]))
        {
            throw Invalid(path, kind, IsVersion01(stream)
                ? $"it was saved by Uqlib 0.1, whose file formats this version no longer reads; fit the {kind} again and Save it (see the CHANGELOG: saved files changed after 0.1)"
                : "it is not a file saved by Uqlib (its first bytes are not the Uqlib signature)");
        }

        if (found < signature.Length)
        {
            throw Invalid(path, kind, "it is truncated within its signature");
        }

        var headerLength = ReadInt32(stream, path, kind, "header length");
        if (headerLength < 2 || headerLength > MaxHeaderLength)
        {
            throw Invalid(path, kind, string.Create(CultureInfo.InvariantCulture, $"its header length {headerLength} is outside 2 to {MaxHeaderLength} (the file is corrupt)"));
        }

        var header = ReadJson(stream, headerLength, path, kind, "header");
        CheckHeader(header, path, kind, version, out var foundVersion);
        var payloadLength = ReadInt64(stream, path, kind, "payload length");
        var expected = new byte[HashLength];
        if (stream.ReadAtLeast(expected, HashLength, throwOnEndOfStream: false) < HashLength)
        {
            throw Invalid(path, kind, "it is truncated within its checksum");
        }

        var remaining = stream.Length - stream.Position;
        if (payloadLength < 4 || payloadLength > remaining)
        {
            throw Invalid(path, kind, payloadLength < 4
                ? string.Create(CultureInfo.InvariantCulture, $"its payload length {payloadLength} is too small (the file is corrupt)")
                : string.Create(CultureInfo.InvariantCulture, $"it is truncated: its payload holds {remaining} of {payloadLength} bytes"));
        }

        if (remaining > payloadLength)
        {
            throw Invalid(path, kind, string.Create(CultureInfo.InvariantCulture, $"it has {remaining - payloadLength} unexpected bytes after its payload"));
        }

        var payloadStart = stream.Position;
        if (!Hash(stream, payloadLength).AsSpan().SequenceEqual(expected))
        {
            throw Invalid(path, kind, "its SHA-256 checksum does not match its contents: the file was changed or damaged after it was saved");
        }

        stream.Position = payloadStart;
        var metadataLength = ReadInt32(stream, path, kind, "metadata length");
        if (metadataLength < 2 || metadataLength > payloadLength - 4)
        {
            throw Invalid(path, kind, string.Create(CultureInfo.InvariantCulture, $"its metadata length {metadataLength} does not fit its payload"));
        }

        var root = ReadJson(stream, metadataLength, path, kind, "metadata");
        var blobs = stream.Position;
        return new FittedFileContext(stream, path, kind, foundVersion, root, blobs, payloadStart + payloadLength - blobs);
    }

    private static void CheckHeader(JsonElement header, string path, string kind, int version, out int foundVersion)
    {
        var format = header.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        if (format != Format)
        {
            throw Invalid(path, kind, $"its header names the format '{format}', not '{Format}'");
        }

        var formatVersion = HeaderInt(header, "formatVersion", path, kind);
        if (formatVersion > FormatVersion || formatVersion < 1)
        {
            throw Invalid(path, kind, string.Create(CultureInfo.InvariantCulture,
                $"it uses version {formatVersion} of the Uqlib file layout; this Uqlib reads version {FormatVersion}: update Uqlib to load it"));
        }

        var foundKind = header.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        if (foundKind != kind)
        {
            throw Invalid(path, kind, $"it holds a {foundKind ?? "value of no kind"}, not a {kind}");
        }

        foundVersion = HeaderInt(header, "version", path, kind);
        if (foundVersion > version || foundVersion < 1)
        {
            throw Invalid(path, kind, string.Create(CultureInfo.InvariantCulture,
                $"it holds version {foundVersion} of the {kind} fields; this Uqlib reads versions 1 to {version}: update Uqlib to load it"));
        }
    }

    private static int HeaderInt(JsonElement header, string name, string path, string kind)
    {
        if (!header.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var result))
        {
            throw Invalid(path, kind, $"its header has no integer \"{name}\"");
        }

        return result;
    }

    /// <summary>Whether the stream holds a file of Uqlib 0.1's writers: JSON naming a Uqlib format, or the binary latent header.</summary>
    private static bool IsVersion01(FileStream stream)
    {
        var start = new byte[256];
        stream.Position = 0;
        var count = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        var text = Encoding.Latin1.GetString(start, 0, count);
        return text.StartsWith("UQLATENT", StringComparison.Ordinal)
            || (text.TrimStart().StartsWith('{') && (text.Contains("\"uqlib-calibrator\"", StringComparison.Ordinal)
                                                     || text.Contains("\"uqlib-combiner\"", StringComparison.Ordinal)
                                                     || text.Contains("\"Uqlib.", StringComparison.Ordinal)));
    }

    private static JsonElement ReadJson(FileStream stream, int length, string path, string kind, string what)
    {
        var bytes = new byte[length];
        if (stream.ReadAtLeast(bytes, length, throwOnEndOfStream: false) < length)
        {
            throw Invalid(path, kind, $"it is truncated within its {what}");
        }

        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw Invalid(path, kind, $"its {what} is not valid UTF-8 (the file is corrupt)");
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, kind, $"its {what} is not a JSON object");
            }

            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw Invalid(path, kind, $"its {what} is not valid JSON ({e.Message.TrimEnd('.')})", e);
        }
    }

    private static int ReadInt32(Stream stream, string path, string kind, string what)
    {
        Span<byte> bytes = stackalloc byte[4];
        if (stream.ReadAtLeast(bytes, 4, throwOnEndOfStream: false) < 4)
        {
            throw Invalid(path, kind, $"it is truncated within its {what}");
        }

        return BinaryPrimitives.ReadInt32LittleEndian(bytes);
    }

    private static long ReadInt64(Stream stream, string path, string kind, string what)
    {
        Span<byte> bytes = stackalloc byte[8];
        if (stream.ReadAtLeast(bytes, 8, throwOnEndOfStream: false) < 8)
        {
            throw Invalid(path, kind, $"it is truncated within its {what}");
        }

        return BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }

    private static byte[] Hash(Stream stream, long length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        while (length > 0)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            hash.AppendData(buffer, 0, read);
            length -= read;
        }

        return hash.GetHashAndReset();
    }

    private static void CheckPath(string path)
    {
        Preconditions.NotNull(path, nameof(path));
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("path must name a file; found a blank string.", nameof(path));
        }
    }
}
