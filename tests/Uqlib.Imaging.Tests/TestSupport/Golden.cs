using System;
using System.IO;
using System.Text.Json;

namespace Uqlib.Imaging.Tests.TestSupport;

/// <summary>Reads the JSON written by the scripts under Reference/.</summary>
internal static class Golden
{
    public static JsonElement Load(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", file))).RootElement;
}
