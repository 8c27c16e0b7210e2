using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Persistence;

/// <summary>Reads the fields of one object of a saved file (see <see cref="FittedFile"/>); every missing or ill-typed field is an <see cref="InvalidDataException"/> naming the file.</summary>
internal sealed class FittedReader
{
    private readonly FittedFileContext context;
    private readonly JsonElement element;

    internal FittedReader(FittedFileContext context, JsonElement element)
    {
        this.context = context;
        this.element = element;
    }

    /// <summary>Gets the version of the kind's fields the file holds (1 to the version the loader passed).</summary>
    public int Version => context.Version;

    /// <summary>Whether the object has a field of this name.</summary>
    public bool Has(string name) => element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>Reads a finite number.</summary>
    public double Double(string name) => Number(Field(name), name);

    /// <summary>Reads a 32-bit integer.</summary>
    public int Int32(string name)
    {
        var value = Field(name);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var result) ? result : throw Invalid($"\"{name}\" is not a 32-bit integer");
    }

    /// <summary>Reads a 64-bit integer.</summary>
    public long Int64(string name)
    {
        var value = Field(name);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var result) ? result : throw Invalid($"\"{name}\" is not an integer");
    }

    /// <summary>Reads a Boolean.</summary>
    public bool Boolean(string name)
    {
        var value = Field(name);
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid($"\"{name}\" is not true or false"),
        };
    }

    /// <summary>Reads a string.</summary>
    public string String(string name)
    {
        var value = Field(name);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Invalid($"\"{name}\" is not a string");
    }

    /// <summary>Reads a defined member of an enumeration, stored by name.</summary>
    public TEnum Enum<TEnum>(string name)
        where TEnum : struct, Enum
    {
        var text = String(name);
        return System.Enum.TryParse<TEnum>(text, ignoreCase: false, out var result) && System.Enum.IsDefined(result) && !char.IsAsciiDigit(text[0]) && text[0] != '-'
            ? result
            : throw Invalid($"\"{name}\" is '{text}', not a {typeof(TEnum).Name}");
    }

    /// <summary>Reads an array of finite numbers, of exactly <paramref name="length"/> items when given.</summary>
    public double[] Doubles(string name, int? length = null)
    {
        var value = Field(name);
        if (value.ValueKind != JsonValueKind.Array || (length is { } expected && value.GetArrayLength() != expected))
        {
            throw Invalid(length is { } n
                ? string.Create(CultureInfo.InvariantCulture, $"\"{name}\" is not an array of {n} numbers")
                : $"\"{name}\" is not an array of numbers");
        }

        var result = new double[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            result[i] = Number(item, string.Create(CultureInfo.InvariantCulture, $"{name}[{i}]"));
            i++;
        }

        return result;
    }

    /// <summary>Reads an array of strings.</summary>
    public string[] Strings(string name)
    {
        var value = Field(name);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid($"\"{name}\" is not an array of strings");
        }

        var result = new string[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            result[i] = item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw Invalid(string.Create(CultureInfo.InvariantCulture, $"\"{name}[{i}]\" is not a string"));
            i++;
        }

        return result;
    }

    /// <summary>Reads a nested object.</summary>
    public FittedReader Object(string name)
    {
        var value = Field(name);
        return value.ValueKind == JsonValueKind.Object ? new FittedReader(context, value) : throw Invalid($"\"{name}\" is not an object");
    }

    /// <summary>Reads an array of objects.</summary>
    public IReadOnlyList<FittedReader> Objects(string name)
    {
        var value = Field(name);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid($"\"{name}\" is not an array of objects");
        }

        var result = new List<FittedReader>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            result.Add(item.ValueKind == JsonValueKind.Object
                ? new FittedReader(context, item)
                : throw Invalid(string.Create(CultureInfo.InvariantCulture, $"\"{name}[{result.Count}]\" is not an object")));
        }

        return result;
    }

    /// <summary>Reads a stored tensor of the given rank and element type into a new CPU tensor, finite when floating; disposed by the loader if the load fails later.</summary>
    public Tensor Tensor(string name, int rank, ScalarType dtype)
    {
        var value = Field(name);
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var type) || type.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("offset", out var offset) || !offset.TryGetInt64(out var start))
        {
            throw Invalid($"\"{name}\" is not a stored tensor");
        }

        var found = type.GetString();
        var expected = FittedWriter.DtypeName(dtype);
        if (found != expected || shape.GetArrayLength() != rank)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture,
                $"\"{name}\" is a {found} tensor of rank {shape.GetArrayLength()}; expected {expected} of rank {rank}"));
        }

        var sizes = new long[rank];
        var i = 0;
        foreach (var item in shape.EnumerateArray())
        {
            if (!item.TryGetInt64(out sizes[i]) || sizes[i] < 0)
            {
                throw Invalid($"\"{name}\" has an invalid shape");
            }

            i++;
        }

        try
        {
            return context.ReadTensor(dtype, sizes, start);
        }
        catch (Exception e) when (e is InvalidDataException or OverflowException)
        {
            throw Invalid($"\"{name}\": {e.Message}", e);
        }
    }

    /// <summary>The error for an invalid field or value: <c>'{path}' is not a valid {kind} file: {problem}.</c></summary>
    public InvalidDataException Invalid(string problem, Exception? inner = null)
    {
        return FittedFile.Invalid(context.Path, context.Kind, problem, inner);
    }

    private JsonElement Field(string name)
    {
        return element.TryGetProperty(name, out var value) ? value : throw Invalid($"\"{name}\" is missing");
    }

    private double Number(JsonElement value, string name)
    {
        return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var result) && double.IsFinite(result)
            ? result
            : throw Invalid($"\"{name}\" is not a finite number");
    }
}
