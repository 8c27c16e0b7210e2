using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Persistence;

/// <summary>One open, checked saved file while a value is read from it: its metadata, where its tensor bytes lie, and the tensors made so far (disposed if the load fails).</summary>
internal sealed class FittedFileContext : IDisposable
{
    private readonly Stream stream;
    private readonly long blobStart;
    private readonly long blobLength;
    private readonly List<Tensor> made = new();
    private bool kept;

    public FittedFileContext(Stream stream, string path, string kind, int version, JsonElement root, long blobStart, long blobLength)
    {
        this.stream = stream;
        Path = path;
        Kind = kind;
        Version = version;
        Root = root;
        this.blobStart = blobStart;
        this.blobLength = blobLength;
    }

    public string Path { get; }

    public string Kind { get; }

    public int Version { get; }

    public JsonElement Root { get; }

    /// <summary>Reads a stored tensor into a new CPU tensor that outlives every dispose scope (its owner disposes it).</summary>
    public Tensor ReadTensor(ScalarType dtype, long[] shape, long offset)
    {
        var width = dtype switch
        {
            ScalarType.Float16 => 2L,
            ScalarType.Float32 => 4L,
            ScalarType.Float64 or ScalarType.Int64 => 8L,
            _ => throw new InvalidDataException($"a stored tensor has the unsupported element type {dtype}"),
        };
        long count = 1;
        foreach (var size in shape)
        {
            count = checked(count * size);
        }

        var length = checked(count * width);
        if (offset < 0 || offset > blobLength || length > blobLength - offset)
        {
            throw new InvalidDataException("a stored tensor lies outside the payload");
        }

        using var scope = torch.NewDisposeScope();
        var tensor = torch.empty(shape, dtype);
        made.Add(tensor);
        tensor.DetachFromDisposeScope();
        if (count > 0)
        {
            stream.Position = blobStart + offset;
            var flat = tensor.view(-1);
            var step = FittedFile.ChunkBytes / width;
            for (long start = 0; start < count; start += step)
            {
                using var part = flat.narrow(0, start, Math.Min(step, count - start));
                stream.ReadExactly(part.bytes);
                if (dtype != ScalarType.Int64)
                {
                    // Chunk by chunk, so the check's temporaries stay as small as one chunk.
                    using var finite = part.isfinite();
                    using var all = finite.all();
                    if (!all.item<bool>())
                    {
                        throw new InvalidDataException("a stored tensor holds a NaN or infinite value");
                    }
                }
            }
        }

        return tensor;
    }

    /// <summary>Marks the load as successful: the tensors made now belong to the value built from them.</summary>
    public void Keep()
    {
        kept = true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!kept)
        {
            foreach (var tensor in made)
            {
                tensor.Dispose();
            }
        }

        made.Clear();
    }
}
