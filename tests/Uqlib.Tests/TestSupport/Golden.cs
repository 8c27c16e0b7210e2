using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Tests.TestSupport;

/// <summary>Reads golden values written by the scripts under Reference/.</summary>
internal static class Golden
{
    public static JsonElement Load(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Reference", file);
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    public static string PathOf(string file)
    {
        return Path.Combine(AppContext.BaseDirectory, "Reference", file);
    }

    public static double[] Vector(JsonElement element)
    {
        return element.EnumerateArray().Select(e => e.GetDouble()).ToArray();
    }

    public static double[,] Matrix(JsonElement element)
    {
        var rows = element.EnumerateArray().Select(Vector).ToArray();
        var result = new double[rows.Length, rows[0].Length];
        for (var i = 0; i < rows.Length; i++)
        {
            for (var j = 0; j < rows[i].Length; j++)
            {
                result[i, j] = rows[i][j];
            }
        }

        return result;
    }

    public static Tensor MatrixTensor(JsonElement element, ScalarType dtype = ScalarType.Float64)
    {
        return torch.tensor(Matrix(element), dtype: dtype);
    }

    /// <summary>A 3-D array of numbers as a tensor <c>(A, B, C)</c>.</summary>
    public static Tensor Tensor3(JsonElement element, ScalarType dtype = ScalarType.Float64)
    {
        var blocks = element.EnumerateArray().Select(Matrix).ToArray();
        var values = new double[blocks.Length * blocks[0].Length];
        var index = 0;
        foreach (var block in blocks)
        {
            foreach (var value in block)
            {
                values[index++] = value;
            }
        }

        return torch.tensor(values, dtype: dtype).reshape(blocks.Length, blocks[0].GetLength(0), blocks[0].GetLength(1));
    }

    public static Tensor VectorTensor(JsonElement element, ScalarType dtype = ScalarType.Float64)
    {
        return torch.tensor(Vector(element), dtype: dtype);
    }

    public static double[] ToArray(Tensor tensor)
    {
        using var cpu = tensor.to(ScalarType.Float64).cpu().contiguous();
        return cpu.data<double>().ToArray();
    }
}
