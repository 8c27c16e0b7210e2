using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Uqlib.Combination;

/// <summary>The versioned JSON file format of the combiners: <c>{ "format": "uqlib-combiner", "version": 1, "kind": …, … }</c>.</summary>
internal static class CombinerFile
{
    private const string Format = "uqlib-combiner";
    private const int Version = 1;

    public static void Write(string path, string kind, JsonObject body)
    {
        Preconditions.NotNull(path, nameof(path));
        var root = new JsonObject { ["format"] = Format, ["version"] = Version, ["kind"] = kind };
        foreach (var (key, value) in body.ToList())
        {
            body.Remove(key);
            root[key] = value;
        }

        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads and checks the header; every later read error is reported as <see cref="InvalidDataException"/> naming the file.</summary>
    public static JsonObject Read(string path, string kind)
    {
        Preconditions.NotNull(path, nameof(path));
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not a Uqlib combiner file: it is not valid JSON ({e.Message}).", e);
        }

        if (node is not JsonObject root || root["format"]?.GetValueKind() != JsonValueKind.String || (string?)root["format"] != Format)
        {
            throw new InvalidDataException($"'{path}' is not a Uqlib combiner file: the \"format\" field is not \"{Format}\".");
        }

        var version = Get(root, "version", path, n => n.GetValue<int>());
        if (version != Version)
        {
            throw new InvalidDataException(
                string.Create(CultureInfo.InvariantCulture, $"'{path}' has combiner file version {version}; this Uqlib reads version {Version}."));
        }

        var found = Get(root, "kind", path, n => n.GetValue<string>());
        if (found != kind)
        {
            throw new InvalidDataException($"'{path}' holds a {found}, not a {kind}.");
        }

        return root;
    }

    public static T Get<T>(JsonObject root, string field, string path, Func<JsonNode, T> read)
    {
        var node = root[field] ?? throw new InvalidDataException($"'{path}' is incomplete: the \"{field}\" field is missing.");
        try
        {
            return read(node);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
            throw new InvalidDataException($"'{path}' has an invalid \"{field}\" field: {e.Message}", e);
        }
    }

    public static string[] Strings(JsonObject root, string field, string path)
    {
        return Get(root, field, path, n => n.AsArray().Select(e => e!.GetValue<string>()).ToArray());
    }

    public static double[] Numbers(JsonObject root, string field, string path, int length)
    {
        var values = Get(root, field, path, n => n.AsArray().Select(e => e!.GetValue<double>()).ToArray());
        if (values.Length != length || values.Any(v => !double.IsFinite(v)))
        {
            throw new InvalidDataException(
                string.Create(CultureInfo.InvariantCulture, $"'{path}' has an invalid \"{field}\" field: expected {length} finite numbers, found {values.Length}."));
        }

        return values;
    }

    public static JsonArray Array(IEnumerable<double> values)
    {
        return new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
    }

    public static JsonArray Array(IEnumerable<string> values)
    {
        return new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
    }
}
