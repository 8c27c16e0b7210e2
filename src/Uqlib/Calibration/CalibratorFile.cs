using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace Uqlib.Calibration;

/// <summary>The file format shared by the calibrators: one JSON object with a magic <c>format</c> string, a <c>version</c> and the parameters.</summary>
internal static class CalibratorFile
{
    public const int Version = 1;

    private const string Magic = "uqlib-calibrator";

    public static void Save(string path, string kind, Action<Utf8JsonWriter> writeParameters)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Magic);
            writer.WriteNumber("version", Version);
            writer.WriteString("kind", kind);
            writeParameters(writer);
            writer.WriteEndObject();
        }

        File.WriteAllBytes(path, stream.ToArray());
    }

    /// <summary>Reads and checks the header of a calibrator file, returning its root object; every problem is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static JsonElement Load(string path, string kind)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = File.ReadAllBytes(path);
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(bytes).RootElement;
        }
        catch (JsonException e)
        {
            throw Invalid(path, kind, $"it is not valid JSON (truncated or corrupt): {e.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Magic)
        {
            throw Invalid(path, kind, $"it has no \"format\": \"{Magic}\" header");
        }

        var version = Int(root, "version", path, kind);
        if (version != Version)
        {
            throw Invalid(path, kind, string.Create(CultureInfo.InvariantCulture, $"it has version {version}; this library reads version {Version}"));
        }

        var found = root.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        if (found != kind)
        {
            throw Invalid(path, kind, $"it holds a {found ?? "calibrator of no kind"}");
        }

        return root;
    }

    public static int Int(JsonElement root, string name, string path, string kind)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var result))
        {
            throw Invalid(path, kind, $"\"{name}\" is missing or not an integer");
        }

        return result;
    }

    public static double Double(JsonElement root, string name, string path, string kind)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var result)
            || !double.IsFinite(result))
        {
            throw Invalid(path, kind, $"\"{name}\" is missing or not a finite number");
        }

        return result;
    }

    public static double[] Doubles(JsonElement root, string name, int length, string path, string kind)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            throw Invalid(path, kind, $"\"{name}\" is missing");
        }

        return ParseDoubles(value, name, length, path, kind);
    }

    /// <summary>Reads a JSON array of exactly <paramref name="length"/> finite numbers; <paramref name="what"/> names it in errors.</summary>
    public static double[] ParseDoubles(JsonElement value, string what, int length, string path, string kind)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != length)
        {
            throw Invalid(path, kind, string.Create(CultureInfo.InvariantCulture, $"\"{what}\" is not an array of {length} numbers"));
        }

        var result = new double[length];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out result[i]) || !double.IsFinite(result[i]))
            {
                throw Invalid(path, kind, string.Create(CultureInfo.InvariantCulture, $"\"{what}\"[{i}] is not a finite number"));
            }

            i++;
        }

        return result;
    }

    public static void WriteDoubles(Utf8JsonWriter writer, string name, ReadOnlySpan<double> values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            writer.WriteNumberValue(v);
        }

        writer.WriteEndArray();
    }

    public static InvalidDataException Invalid(string path, string kind, string problem)
    {
        return new InvalidDataException($"'{path}' is not a valid {kind} file: {problem}.");
    }
}
