using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FluentAssertions;
using static TorchSharp.torch;

namespace Uqlib.Tests.TestSupport;

/// <summary>
/// The one set of saved-file checks every type with Save/Load shares: round trips through a temporary folder, crafted files in the
/// envelope (built here from the documented layout, independently of the library's writer) and the corruption battery (checksum,
/// truncation at several offsets, trailing bytes, future versions, wrong kind, invalid UTF-8, foreign and Uqlib 0.1 files, missing
/// file), each asserting the one message form <c>'{path}' is not a valid {kind} file: {problem}.</c> and that no tensor leaks.
/// </summary>
internal static class SavedFiles
{
    private static readonly byte[] Signature = [0x89, (byte)'U', (byte)'Q', (byte)'L', (byte)'I', (byte)'B', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    /// <summary>Saves, loads and returns what was loaded; the file is removed afterwards.</summary>
    public static T RoundTrip<T>(Action<string> save, Func<string, T> load)
    {
        var directory = Directory.CreateTempSubdirectory("uqlib-saved-").FullName;
        try
        {
            var path = Path.Combine(directory, "fitted.uqlib");
            save(path);
            return load(path);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// The round trip every scoring type's tests share: saves <paramref name="fitted"/>, loads it back, asserts that the loaded value scores
    /// <paramref name="queries"/> bit-identically and describes itself the same, then runs <see cref="ShouldRefuseCorruptions"/>.
    /// </summary>
    public static void ShouldRoundTripScores_AndRefuseCorruptions<T>(
        T fitted, Action<string> save, Func<string, T> load, Func<T, Tensor, Tensor> score, Tensor queries, string kind)
        where T : class, IDisposable
    {
        using (var loaded = RoundTrip(save, load))
        using (var expected = score(fitted, queries))
        using (var actual = score(loaded, queries))
        {
            actual.allclose(expected, rtol: 0, atol: 0).Should().BeTrue("a loaded {0} must give identical scores", kind);
            loaded.ToString().Should().Be(fitted.ToString());
        }

        ShouldRefuseCorruptions(save, load, kind);
    }

    /// <summary>An envelope around the given metadata JSON (and optional raw tensor bytes), with a correct checksum.</summary>
    public static byte[] Envelope(string kind, string metadata, int version = 1, byte[]? blobs = null, int formatVersion = 1, string format = "uqlib-fitted")
    {
        var header = Encoding.UTF8.GetBytes(
            $"{{\"format\":\"{format}\",\"formatVersion\":{formatVersion},\"kind\":\"{kind}\",\"version\":{version}}}");
        var json = Encoding.UTF8.GetBytes(metadata);
        var payload = new byte[4 + json.Length + (blobs?.Length ?? 0)];
        BinaryPrimitives.WriteInt32LittleEndian(payload, json.Length);
        json.CopyTo(payload, 4);
        blobs?.CopyTo(payload, 4 + json.Length);
        using var file = new MemoryStream();
        file.Write(Signature);
        file.Write(BitConverter.GetBytes(header.Length));
        file.Write(header);
        file.Write(BitConverter.GetBytes((long)payload.Length));
        file.Write(SHA256.HashData(payload));
        file.Write(payload);
        return file.ToArray();
    }

    /// <summary>Writes an envelope holding <paramref name="metadata"/> and asserts that loading it is refused with <paramref name="problem"/>.</summary>
    public static void ShouldRefuseFields(string metadata, Func<string, object?> load, string kind, string problem = "*")
    {
        ShouldRefuse(Envelope(kind, metadata), load, kind, problem);
    }

    /// <summary>Writes <paramref name="bytes"/> to a file and asserts that loading it throws the one message form, leaking no tensor.</summary>
    public static void ShouldRefuse(byte[] bytes, Func<string, object?> load, string kind, string problem)
    {
        var directory = Directory.CreateTempSubdirectory("uqlib-saved-").FullName;
        try
        {
            var path = Path.Combine(directory, "bad.uqlib");
            File.WriteAllBytes(path, bytes);
            var live = LiveTensors.Count;
            FluentActions.Invoking(() => load(path)).Should().Throw<InvalidDataException>()
                .WithMessage($"'{path}' is not a valid {kind} file: {problem}.");
            LiveTensors.Count.Should().Be(live, "a refused file leaves nothing half-loaded");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Runs the corruption battery over the file that <paramref name="save"/> writes.</summary>
    public static void ShouldRefuseCorruptions(Action<string> save, Func<string, object?> load, string kind)
    {
        var good = RoundTrip(save, File.ReadAllBytes);
        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(good.AsSpan(10));
        var payloadStart = 10 + 4 + headerLength + 8 + 32;

        // One changed digit anywhere in the payload: the checksum.
        foreach (var at in new[] { payloadStart + 4, payloadStart + ((good.Length - payloadStart) / 2), good.Length - 1 })
        {
            var changed = (byte[])good.Clone();
            changed[at] ^= 0x01;
            ShouldRefuse(changed, load, kind, "its SHA-256 checksum does not match its contents*");
        }

        // Truncation at several offsets: inside the signature, the header, the checksum, the payload, one byte short.
        ShouldRefuse([], load, kind, "it is empty");
        foreach (var length in new[] { 5, 12, 14 + (headerLength / 2), payloadStart - 10, payloadStart + 3, good.Length - 1 })
        {
            ShouldRefuse(good[..length], load, kind, "it is truncated*");
        }

        ShouldRefuse([.. good, 0], load, kind, "it has 1 unexpected bytes after its payload");
        var version = Regex.Match(Encoding.UTF8.GetString(good, 14, headerLength), "\"version\":([0-9]+)").Groups[1].Value;
        ShouldRefuse(WithHeader(good, h => h.Replace($"\"version\":{version}", "\"version\":99", StringComparison.Ordinal)), load, kind,
            $"it holds version 99 of the {kind} fields; this Uqlib reads versions 1 to {version}: update Uqlib to load it");
        ShouldRefuse(WithHeader(good, h => h.Replace("\"formatVersion\":1", "\"formatVersion\":2", StringComparison.Ordinal)), load, kind,
            "it uses version 2 of the Uqlib file layout*update Uqlib*");
        ShouldRefuse(WithHeader(good, h => h.Replace($"\"kind\":\"{kind}\"", "\"kind\":\"OtherThing\"", StringComparison.Ordinal)), load, kind,
            $"it holds a OtherThing, not a {kind}");
        ShouldRefuse(WithHeader(good, h => h.Replace("uqlib-fitted", "uqlib-other", StringComparison.Ordinal)), load, kind,
            "its header names the format 'uqlib-other', not 'uqlib-fitted'");
        var badUtf8 = (byte[])good.Clone();
        badUtf8[14 + 2] = 0xFF;
        ShouldRefuse(badUtf8, load, kind, "its header is not valid UTF-8*");
        ShouldRefuse([.. "{\"format\": \"x\"}"u8.ToArray(), 0xFF, 0xFE], load, kind, "it is not a file saved by Uqlib*");
        var random = new byte[512];
        new Random(14).NextBytes(random);
        ShouldRefuse(random, load, kind, "it is not a file saved by Uqlib*");
        ShouldRefuse(Encoding.UTF8.GetBytes("{\"format\": \"uqlib-calibrator\", \"version\": 1, \"kind\": \"TemperatureScaling\", \"temperature\": 1.5}"),
            load, kind, $"it was saved by Uqlib 0.1, whose file formats this version no longer reads; fit the {kind} again and Save it*");
        ShouldRefuse([.. "{\"format\": \"uqlib-combiner\", \"mean\": 1."u8.ToArray(), 0xFF, 0xC0], load, kind, "it was saved by Uqlib 0.1*");
        ShouldRefuse([.. "UQLATENT"u8.ToArray(), 1, 0, 0, 0], load, kind, "it was saved by Uqlib 0.1*");
        FluentActions.Invoking(() => load(Path.Combine(Path.GetTempPath(), "uqlib-absent", "missing.uqlib"))).Should().Throw<IOException>()
            .Which.Should().Match<IOException>(e => e is FileNotFoundException || e is DirectoryNotFoundException);
    }

    /// <summary>The metadata JSON of a saved file (its fields, tensors aside).</summary>
    public static string Fields(byte[] file)
    {
        var payloadStart = 14 + BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(10)) + 8 + 32;
        var length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(payloadStart));
        return Encoding.UTF8.GetString(file, payloadStart + 4, length);
    }

    /// <summary>The saved file with its header JSON rewritten (its length updated; the payload and checksum kept).</summary>
    public static byte[] WithHeader(byte[] file, Func<string, string> edit)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(10));
        var header = Encoding.UTF8.GetBytes(edit(Encoding.UTF8.GetString(file, 14, length)));
        return [.. file.Take(10), .. BitConverter.GetBytes(header.Length), .. header, .. file.Skip(14 + length)];
    }
}
