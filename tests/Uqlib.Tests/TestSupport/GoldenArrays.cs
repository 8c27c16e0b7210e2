using System.Collections.Generic;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Tests.TestSupport;

/// <summary>Reads nested JSON arrays of any depth (as written by NumPy's <c>tolist()</c>) into tensors and flat arrays.</summary>
internal static class GoldenArrays
{
    public static Tensor Tensor(JsonElement element)
    {
        var shape = new List<long>();
        for (var e = element; e.ValueKind == JsonValueKind.Array; e = e[0])
        {
            shape.Add(e.GetArrayLength());
        }

        return torch.tensor(Flat(element), dtype: ScalarType.Float64).reshape(shape.ToArray());
    }

    public static double[] Flat(JsonElement element)
    {
        var values = new List<double>();
        Collect(element, values);
        return values.ToArray();
    }

    private static void Collect(JsonElement element, List<double> values)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var child in element.EnumerateArray())
            {
                Collect(child, values);
            }
        }
        else
        {
            values.Add(element.GetDouble());
        }
    }
}
