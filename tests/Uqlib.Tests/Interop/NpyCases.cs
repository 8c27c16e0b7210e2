using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using TorchSharp;
using Uqlib.Tests.TestSupport;
using Xunit;
using static TorchSharp.torch;

namespace Uqlib.Tests.Interop;

/// <summary>The files of Reference/npy/ and their description in Reference/npy.json (make_npy.py: written by NumPy).</summary>
internal static class NpyCases
{
    private static readonly JsonElement Reference = Golden.Load("npy.json");

    public static JsonElement Archives => Reference.GetProperty("archives");

    public static string PathOf(string file) => Golden.PathOf(Path.Combine("npy", file));

    public static JsonElement Readable(string file) =>
        Reference.GetProperty("readable").EnumerateArray().Single(e => e.GetProperty("file").GetString() == file);

    public static TheoryData<string> ReadableFiles() => Files("readable", _ => true);

    public static TheoryData<string> IdenticalFiles() =>
        Files("readable", e => e.TryGetProperty("identical", out var identical) && identical.GetBoolean());

    public static TheoryData<string, string> HostileFiles(string extension)
    {
        var data = new TheoryData<string, string>();
        foreach (var entry in Reference.GetProperty("hostile").EnumerateArray())
        {
            var file = entry.GetProperty("file").GetString()!;
            if (file.EndsWith(extension, StringComparison.Ordinal))
            {
                data.Add(file, entry.GetProperty("expect").GetString()!);
            }
        }

        return data;
    }

    /// <summary>The values in C order, as doubles (bools as 0/1).</summary>
    public static double[] Values(JsonElement entry) =>
        entry.GetProperty("values").EnumerateArray()
            .Select(v => v.ValueKind switch { JsonValueKind.True => 1.0, JsonValueKind.False => 0.0, _ => v.GetDouble() })
            .ToArray();

    /// <summary>The integer values exactly (int64 extremes do not survive a trip through double).</summary>
    public static long[] Integers(JsonElement entry) =>
        entry.GetProperty("values").EnumerateArray().Select(v => v.GetInt64()).ToArray();

    public static long[] Shape(JsonElement entry) => entry.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();

    public static ScalarType Dtype(JsonElement entry) => Enum.Parse<ScalarType>(entry.GetProperty("dtype").GetString()!);

    /// <summary>A tensor's values in C order as doubles.</summary>
    public static double[] ValuesOf(Tensor tensor)
    {
        if (tensor.numel() == 0)
        {
            return [];
        }

        using var scope = torch.NewDisposeScope();
        return tensor.dtype == ScalarType.Bool ? Golden.ToArray(tensor.to(ScalarType.Int8)) : Golden.ToArray(tensor);
    }

    /// <summary>A tensor's integer values in C order.</summary>
    public static long[] IntegersOf(Tensor tensor)
    {
        using var cpu = tensor.to(ScalarType.Int64).contiguous();
        return cpu.data<long>().ToArray();
    }

    /// <summary>A fresh path in the temporary folder, deleted (with any leftover temporary file) when disposed.</summary>
    public static TemporaryFile Temporary(string extension) => new(Path.Combine(Path.GetTempPath(), $"uqlib-npy-{Guid.NewGuid():N}{extension}"));

    private static TheoryData<string> Files(string list, Func<JsonElement, bool> keep)
    {
        var data = new TheoryData<string>();
        foreach (var entry in Reference.GetProperty(list).EnumerateArray().Where(keep))
        {
            data.Add(entry.GetProperty("file").GetString()!);
        }

        return data;
    }

    internal sealed class TemporaryFile(string path) : IDisposable
    {
        public string Path { get; } = path;

        public void Dispose()
        {
            File.Delete(Path);
            File.Delete(Path + ".tmp");
        }
    }
}
