using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using TorchSharp;
using Uqlib.Evaluation;
using Uqlib.Interop;
using static TorchSharp.torch;

namespace Uqlib.Cli.Io;

/// <summary>
/// Reads the arrays named on the command line: <c>FILE.npy</c>, <c>FILE.npz:NAME</c> (or a one-array <c>FILE.npz</c>),
/// <c>FILE.csv:COLUMN</c> (one column) or <c>FILE.csv</c> (every column, a matrix). Every problem is a <see cref="CliException"/>
/// naming the option, the file and what was wrong.
/// </summary>
internal static class ArrayInput
{
    /// <summary>Reads any array as stored (dtype and shape unchanged), refusing NaN and ±∞.</summary>
    public static Tensor Read(string spec, string option)
    {
        var (path, key) = Split(spec);
        if (!File.Exists(path))
        {
            throw CliException.Input(option, $"file not found: '{path}'");
        }

        Tensor array;
        try
        {
            array = Path.GetExtension(path).ToUpperInvariant() switch
            {
                ".NPY" => key is null ? Npy.Read(path) : throw CliException.Input(option, $"'{spec}': a .npy file holds one array; write '{path}' without ':{key}'"),
                ".NPZ" => ReadNpz(path, key, option),
                ".CSV" => ReadCsv(path, key, option),
                _ => throw CliException.Input(option, $"'{path}' is not a .npy, .npz or .csv file"),
            };
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or NotSupportedException or UnauthorizedAccessException)
        {
            throw CliException.Input(option, $"cannot read '{spec}': {OneLine(e.Message)}");
        }

        RequireFinite(array, spec, option);
        return array;
    }

    /// <summary>Reads a floating matrix <c>(N, D)</c> (logits, probabilities, features) as float32 or float64.</summary>
    public static Tensor ReadMatrix(string spec, string option, string what)
    {
        var array = Read(spec, option);
        if (array.dim() != 2)
        {
            throw CliException.Input(option, $"expected a 2-D array ({what}), found shape {Shape(array)} in '{spec}'");
        }

        return Floating(array);
    }

    /// <summary>Reads a per-case vector <c>(N)</c> (scores, targets) as float64.</summary>
    public static Tensor ReadVector(string spec, string option, string what)
    {
        var array = Read(spec, option);
        if (array.dim() == 2 && array.shape[1] == 1)
        {
            array = array.reshape(-1);
        }

        if (array.dim() != 1)
        {
            throw CliException.Input(option, $"expected a 1-D array ({what}), found shape {Shape(array)} in '{spec}'");
        }

        return array.to(ScalarType.Float64);
    }

    /// <summary>Reads class labels <c>(N)</c> as int64; whole-number floats (a CSV column) are accepted.</summary>
    public static Tensor ReadLabels(string spec, string option, int? classes = null)
    {
        var labels = ReadVector(spec, option, "class labels");
        if (!labels.eq(labels.round()).all().item<bool>())
        {
            throw CliException.Input(option, $"expected whole-number class labels, found fractions in '{spec}'");
        }

        var asLong = labels.to(ScalarType.Int64);
        if (asLong.numel() > 0)
        {
            var min = asLong.min().item<long>();
            var max = asLong.max().item<long>();
            if (min < 0 || (classes is int c && max >= c))
            {
                var range = classes is int k ? $"[0, {k - 1}]" : "[0, C - 1]";
                throw CliException.Input(option, $"expected class labels in {range}, found values from {min} to {max} in '{spec}'");
            }
        }

        return asLong;
    }

    /// <summary>Reads failure indicators <c>(N)</c> (1 = the model failed on the case) as bool.</summary>
    public static Tensor ReadFailures(string spec, string option)
    {
        var values = ReadVector(spec, option, "failures, 0 or 1");
        if (!values.eq(0).logical_or(values.eq(1)).all().item<bool>())
        {
            throw CliException.Input(option, $"expected failures as 0 or 1 (or true/false), found other values in '{spec}'");
        }

        return values.to(ScalarType.Bool);
    }

    /// <summary>Reads cluster ids (patients, sites): a CSV column of any text, or an integer array.</summary>
    public static ClusterIds ReadClusters(string spec, string option)
    {
        var (path, key) = Split(spec);
        if (string.Equals(Path.GetExtension(path), ".csv", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(path))
            {
                throw CliException.Input(option, $"file not found: '{path}'");
            }

            var (header, rows) = ReadCsvRows(path, option);
            var column = ColumnIndex(header, key, path, option);
            return ClusterIds.From(rows.Select(r => (string?)r[column]).ToList());
        }

        using var ids = ReadVector(spec, option, "cluster ids");
        return ClusterIds.From(ids);
    }

    /// <summary>Checks that every named input has the same number of cases.</summary>
    public static long SameCases(params (string Option, Tensor Array)[] inputs)
    {
        var first = inputs[0];
        foreach (var (option, array) in inputs.Skip(1))
        {
            if (array.shape[0] != first.Array.shape[0])
            {
                throw CliException.Input(option, $"has {array.shape[0]} cases but {first.Option} has {first.Array.shape[0]}");
            }
        }

        return first.Array.shape[0];
    }

    /// <summary>The shape as NumPy prints it, e.g. <c>(300, 3)</c>.</summary>
    public static string Shape(Tensor array) =>
        array.dim() == 1 ? $"({array.shape[0]},)" : "(" + string.Join(", ", array.shape.Select(s => s.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>An exception's message on one line.</summary>
    public static string OneLine(string message) =>
        string.Join("; ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static Tensor Floating(Tensor array) =>
        array.dtype is ScalarType.Float32 or ScalarType.Float64 ? array : array.to(ScalarType.Float32);

    private static (string Path, string? Key) Split(string spec)
    {
        var colon = spec.LastIndexOf(':');
        if (colon > 0)
        {
            var head = spec[..colon];
            if (head.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) || head.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            {
                return (head, spec[(colon + 1)..]);
            }
        }

        return (spec, null);
    }

    private static Tensor ReadNpz(string path, string? key, string option)
    {
        var names = Npz.Names(path);
        if (key is null)
        {
            return names.Count == 1
                ? Npz.Read(path, names[0])
                : throw CliException.Input(option, $"'{path}' holds {names.Count} arrays ({string.Join(", ", names)}): name one as '{path}:NAME'");
        }

        return names.Contains(key)
            ? Npz.Read(path, key)
            : throw CliException.Input(option, $"'{path}' has no array '{key}' (it has {string.Join(", ", names)})");
    }

    private static Tensor ReadCsv(string path, string? key, string option)
    {
        var (header, rows) = ReadCsvRows(path, option);
        var columns = key is null ? Enumerable.Range(0, header.Length).ToArray() : [ColumnIndex(header, key, path, option)];
        var values = new double[rows.Count * columns.Length];
        for (var i = 0; i < rows.Count; i++)
        {
            for (var j = 0; j < columns.Length; j++)
            {
                var cell = rows[i][columns[j]];
                values[(i * columns.Length) + j] = ParseCell(cell, out var value)
                    ? value
                    : throw CliException.Input(option, $"'{path}' line {i + 2}, column '{header[columns[j]]}': '{cell}' is not a number");
            }
        }

        var shape = key is null ? new long[] { rows.Count, columns.Length } : new long[] { rows.Count };
        return torch.tensor(values, shape, ScalarType.Float64);
    }

    private static bool ParseCell(string cell, out double value)
    {
        if (string.Equals(cell, "true", StringComparison.OrdinalIgnoreCase) || string.Equals(cell, "false", StringComparison.OrdinalIgnoreCase))
        {
            value = string.Equals(cell, "true", StringComparison.OrdinalIgnoreCase) ? 1.0 : 0.0;
            return true;
        }

        return double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private static (string[] Header, List<string[]> Rows) ReadCsvRows(string path, string option)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0)
        {
            throw CliException.Input(option, $"'{path}' is empty (a header line is expected)");
        }

        var header = lines[0].Split(',').Select(h => h.Trim()).ToArray();
        var rows = new List<string[]>(lines.Count - 1);
        for (var i = 1; i < lines.Count; i++)
        {
            var cells = lines[i].Split(',').Select(c => c.Trim()).ToArray();
            if (cells.Length != header.Length)
            {
                throw CliException.Input(option, $"'{path}' line {i + 1} has {cells.Length} fields, the header has {header.Length}");
            }

            rows.Add(cells);
        }

        return (header, rows);
    }

    private static int ColumnIndex(string[] header, string? key, string path, string option)
    {
        if (key is null)
        {
            return header.Length == 1
                ? 0
                : throw CliException.Input(option, $"'{path}' has {header.Length} columns ({string.Join(", ", header)}): name one as '{path}:COLUMN'");
        }

        var index = Array.IndexOf(header, key);
        return index >= 0 ? index : throw CliException.Input(option, $"'{path}' has no column '{key}' (it has {string.Join(", ", header)})");
    }

    private static void RequireFinite(Tensor array, string spec, string option)
    {
        if (!array.is_floating_point() || array.numel() == 0)
        {
            return;
        }

        using var scope = torch.NewDisposeScope();
        var bad = array.isfinite().logical_not().reshape(-1);
        var count = bad.sum().item<long>();
        if (count > 0)
        {
            var first = bad.nonzero()[0, 0].item<long>();
            var value = array.reshape(-1)[first].to(ScalarType.Float64).item<double>();
            throw CliException.Input(option, $"'{spec}' holds {count} non-finite value(s) (first: {value.ToString(CultureInfo.InvariantCulture)} at flat index {first})");
        }
    }
}
