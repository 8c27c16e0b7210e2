using System;
using System.Globalization;
using System.IO;
using System.Text.Json;

namespace Uqlib.Persistence;

/// <summary>
/// The small versioned JSON format of every fitted value: an object whose first two properties are <c>"format"</c> (a fixed
/// name acting as the magic header) and <c>"version"</c>, followed by the value's fields.
/// </summary>
internal static class FittedFile
{
    /// <summary>Writes a fitted value's file, replacing any file at <paramref name="path"/> only once the whole content is written.</summary>
    public static void Write(string path, string format, int version, Action<Utf8JsonWriter> fields)
    {
        CheckPath(path);
        var full = Path.GetFullPath(path);
        var temporary = full + ".tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", format);
            writer.WriteNumber("version", version);
            fields(writer);
            writer.WriteEndObject();
        }

        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>Reads and checks a fitted value's file: valid JSON, the expected format name and a supported version.</summary>
    public static JsonElement Read(string path, string format, int version)
    {
        CheckPath(path);
        byte[] bytes = File.ReadAllBytes(path);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(bytes);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a {format} file: it is not valid JSON ({e.Message}); it may be truncated or corrupt.", e);
        }

        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("format", out var found)
            || found.ValueKind != JsonValueKind.String
            || found.GetString() != format)
        {
            throw new InvalidDataException($"{path} is not a {format} file: its \"format\" field is missing or different.");
        }

        var foundVersion = Int32(root, "version", path, format);
        if (foundVersion != version)
        {
            throw new InvalidDataException(
                string.Create(CultureInfo.InvariantCulture, $"{path} is a {format} file of version {foundVersion}; this library reads version {version}."));
        }

        return root;
    }

    /// <summary>Reads a finite number field.</summary>
    public static double Double(JsonElement root, string name, string path, string format)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var result)
            || !double.IsFinite(result))
        {
            throw new InvalidDataException($"{path} is a corrupt {format} file: field \"{name}\" is missing or not a finite number.");
        }

        return result;
    }

    /// <summary>Reads a non-empty array of finite numbers.</summary>
    public static double[] Doubles(JsonElement root, string name, string path, string format)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            throw new InvalidDataException($"{path} is a corrupt {format} file: field \"{name}\" is missing or not a non-empty array.");
        }

        var result = new double[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out result[i]) || !double.IsFinite(result[i]))
            {
                throw new InvalidDataException(
                    string.Create(CultureInfo.InvariantCulture, $"{path} is a corrupt {format} file: field \"{name}\" item {i} is not a finite number."));
            }

            i++;
        }

        return result;
    }

    /// <summary>Reads a 32-bit integer field.</summary>
    public static int Int32(JsonElement root, string name, string path, string format)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var result))
        {
            throw new InvalidDataException($"{path} is a corrupt {format} file: field \"{name}\" is missing or not an integer.");
        }

        return result;
    }

    /// <summary>Reads a string field.</summary>
    public static string String(JsonElement root, string name, string path, string format)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException($"{path} is a corrupt {format} file: field \"{name}\" is missing or not a string.");
        }

        return value.GetString()!;
    }

    /// <summary>Wraps a value's own validation failure on load as a corrupt-file error.</summary>
    public static InvalidDataException Corrupt(string path, string format, Exception inner)
    {
        return new InvalidDataException($"{path} is a corrupt {format} file: {inner.Message}", inner);
    }

    private static void CheckPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("path must name a file; found an empty string.", nameof(path));
        }
    }
}
