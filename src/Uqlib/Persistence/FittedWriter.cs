using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Persistence;

/// <summary>Collects the fields of a value being saved (see <see cref="FittedFile"/>): numbers and strings as JSON, tensors as raw bytes after it.</summary>
internal sealed class FittedWriter : IDisposable
{
    private readonly MemoryStream buffer = new();
    private readonly Utf8JsonWriter json;
    private readonly List<Tensor> tensors = new();
    private long blobLength;

    internal FittedWriter()
    {
        json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
    }

    /// <summary>Writes a finite number (shortest round-trip form: it reads back bit for bit).</summary>
    public void Number(string name, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new InvalidOperationException($"Cannot save \"{name}\": it is {value}, not a finite number.");
        }

        json.WriteNumber(name, value);
    }

    /// <summary>Writes an integer.</summary>
    public void Number(string name, long value) => json.WriteNumber(name, value);

    /// <summary>Writes a Boolean.</summary>
    public void Boolean(string name, bool value) => json.WriteBoolean(name, value);

    /// <summary>Writes a string.</summary>
    public void String(string name, string value) => json.WriteString(name, value);

    /// <summary>Writes a member of an enumeration by name.</summary>
    public void Enum<TEnum>(string name, TEnum value)
        where TEnum : struct, Enum => json.WriteString(name, value.ToString());

    /// <summary>Writes an array of finite numbers.</summary>
    public void Numbers(string name, ReadOnlySpan<double> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            if (!double.IsFinite(value))
            {
                throw new InvalidOperationException($"Cannot save \"{name}\": it holds {value}, not a finite number.");
            }

            json.WriteNumberValue(value);
        }

        json.WriteEndArray();
    }

    /// <summary>Writes an array of strings.</summary>
    public void Strings(string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    /// <summary>Writes a nested object.</summary>
    public void Object(string name, Action<FittedWriter> write)
    {
        json.WriteStartObject(name);
        write(this);
        json.WriteEndObject();
    }

    /// <summary>Writes an array of objects, one per item.</summary>
    public void Objects<T>(string name, IEnumerable<T> items, Action<FittedWriter, T> write)
    {
        json.WriteStartArray(name);
        foreach (var item in items)
        {
            json.WriteStartObject();
            write(this, item);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>Writes a float16, float32, float64 or int64 tensor (on any device) as raw bytes; it must stay alive until the save returns.</summary>
    public void Tensor(string name, Tensor value)
    {
        var dtype = DtypeName(value.dtype);
        json.WriteStartObject(name);
        json.WriteString("dtype", dtype);
        json.WriteStartArray("shape");
        foreach (var size in value.shape)
        {
            json.WriteNumberValue(size);
        }

        json.WriteEndArray();
        json.WriteNumber("offset", blobLength);
        json.WriteEndObject();
        blobLength += value.numel() * value.ElementSize;
        tensors.Add(value);
    }

    /// <summary>The name of a supported element type.</summary>
    internal static string DtypeName(ScalarType dtype)
    {
        return dtype switch
        {
            ScalarType.Float16 => "float16",
            ScalarType.Float32 => "float32",
            ScalarType.Float64 => "float64",
            ScalarType.Int64 => "int64",
            _ => throw new InvalidOperationException($"Cannot save a tensor of element type {dtype}: float16, float32, float64 and int64 are supported."),
        };
    }

    /// <summary>Writes the payload (metadata length, metadata, tensor bytes) to <paramref name="stream"/> and <paramref name="hash"/>; returns its length.</summary>
    internal long WritePayload(Stream stream, IncrementalHash hash)
    {
        json.WriteEndObject();
        json.Flush();
        var metadata = buffer.ToArray();
        var length = 0L;
        Span<byte> prefix = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(prefix, metadata.Length);
        Emit(prefix);
        Emit(metadata);
        foreach (var tensor in tensors)
        {
            using var scope = torch.NewDisposeScope();
            var flat = tensor.detach().cpu().contiguous().reshape(-1);
            var count = flat.numel();
            var step = FittedFile.ChunkBytes / flat.ElementSize;
            for (long start = 0; start < count; start += step)
            {
                Emit(flat.narrow(0, start, Math.Min(step, count - start)).bytes);
            }
        }

        return length;

        void Emit(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            hash.AppendData(bytes);
            length += bytes.Length;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        json.Dispose();
        buffer.Dispose();
    }
}
