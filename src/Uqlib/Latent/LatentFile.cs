using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace Uqlib.Latent;

/// <summary>The small versioned binary format of fitted latent detectors: magic, version, kind, payload length, SHA-256 of the payload, payload.</summary>
/// <remarks>Reading checks everything before building anything, so a corrupt, truncated or foreign file gives an <see cref="InvalidDataException"/> and nothing half-loaded.</remarks>
internal static class LatentFile
{
    private const int Version = 1;
    private static readonly byte[] Magic = "UQLATENT"u8.ToArray();

    public static void Write(string path, string kind, Action<BinaryWriter> payload)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            payload(writer);
        }

        var bytes = buffer.ToArray();
        using var file = File.Create(path);
        using var output = new BinaryWriter(file);
        output.Write(Magic);
        output.Write(Version);
        output.Write(kind);
        output.Write((long)bytes.Length);
        output.Write(SHA256.HashData(bytes));
        output.Write(bytes);
    }

    public static T Read<T>(string path, string kind, Func<BinaryReader, T> payload)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes;
        try
        {
            using var file = File.OpenRead(path);
            using var input = new BinaryReader(file);
            var magic = input.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
            {
                throw Invalid(path, "it does not start with the Uqlib latent-detector header");
            }

            var version = input.ReadInt32();
            if (version != Version)
            {
                throw Invalid(path, string.Create(CultureInfo.InvariantCulture, $"its format version is {version}; this library reads version {Version}"));
            }

            var found = input.ReadString();
            if (found != kind)
            {
                throw Invalid(path, $"it holds a {found}, not a {kind}");
            }

            var length = input.ReadInt64();
            if (length < 0 || length > file.Length)
            {
                throw Invalid(path, string.Create(CultureInfo.InvariantCulture, $"it is truncated: its payload length {length} exceeds the file"));
            }

            var hash = input.ReadBytes(32);
            bytes = input.ReadBytes((int)length);
            if (hash.Length != 32 || bytes.Length != length)
            {
                throw Invalid(path, "it is truncated");
            }

            if (file.Position != file.Length)
            {
                throw Invalid(path, "it has trailing bytes after the payload");
            }

            if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(hash))
            {
                throw Invalid(path, "its checksum does not match its contents (the file is corrupt)");
            }
        }
        catch (EndOfStreamException)
        {
            throw Invalid(path, "it is truncated");
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
            return payload(reader);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or ArgumentException or OverflowException)
        {
            throw Invalid(path, $"its contents are inconsistent ({e.Message})");
        }
    }

    public static void WriteTensor(BinaryWriter writer, Tensor tensor)
    {
        var single = tensor.dtype == ScalarType.Float32;
        using var cpu = tensor.to(single ? ScalarType.Float32 : ScalarType.Float64).cpu().contiguous();
        writer.Write(single);
        writer.Write((int)cpu.dim());
        foreach (var size in cpu.shape)
        {
            writer.Write(size);
        }

        if (single)
        {
            writer.Write(MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()));
        }
        else
        {
            writer.Write(MemoryMarshal.AsBytes(cpu.data<double>().ToArray().AsSpan()));
        }
    }

    public static Tensor ReadTensor(BinaryReader reader, int rank)
    {
        var single = reader.ReadBoolean();
        var found = reader.ReadInt32();
        if (found != rank)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"a stored tensor has rank {found}; expected {rank}"));
        }

        var shape = new long[rank];
        long count = 1;
        for (var i = 0; i < rank; i++)
        {
            shape[i] = reader.ReadInt64();
            if (shape[i] <= 0 || shape[i] > int.MaxValue)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"a stored tensor has dimension {shape[i]}"));
            }

            count = checked(count * shape[i]);
        }

        var width = single ? sizeof(float) : sizeof(double);
        if (count * width > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new InvalidDataException("a stored tensor is longer than the file");
        }

        var bytes = reader.ReadBytes(checked((int)(count * width)));
        Tensor flat = single
            ? torch.tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), dtype: ScalarType.Float32)
            : torch.tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), dtype: ScalarType.Float64);
        using (flat)
        {
            using var finite = flat.isfinite().all();
            if (!finite.item<bool>())
            {
                throw new InvalidDataException("a stored tensor holds a NaN or infinite value");
            }

            using var shaped = flat.reshape(shape);
            return shaped.clone().DetachFromDisposeScope();
        }
    }

    public static void End(BinaryReader reader)
    {
        if (reader.BaseStream.Position != reader.BaseStream.Length)
        {
            throw new InvalidDataException("the payload has bytes left over");
        }
    }

    private static InvalidDataException Invalid(string path, string why)
    {
        return new InvalidDataException($"'{path}' is not a valid Uqlib latent-detector file: {why}.");
    }
}
