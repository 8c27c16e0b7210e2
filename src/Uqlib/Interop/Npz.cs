using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using Uqlib.Persistence;
using static TorchSharp.torch;

namespace Uqlib.Interop;

/// <summary>Reads and writes NumPy <c>.npz</c> archives (several named arrays in one zip file) as TorchSharp tensors.</summary>
/// <remarks>
/// <para>
/// An <c>.npz</c> file is a zip archive of <c>.npy</c> members named <c>&lt;name&gt;.npy</c>, stored (<c>np.savez</c>) or deflated
/// (<c>np.savez_compressed</c>); both are read, and every member is read as <see cref="Npy.Read"/> reads a file (same dtypes, same widening of
/// uint16/32/64, same checks). Names are given without the <c>.npy</c> suffix, as NumPy's <c>NpzFile</c> gives them.
/// </para>
/// <para>
/// A zip bomb cannot make the reader allocate more than a member truly holds: a member's header must agree with the size the archive declares for
/// it before anything is allocated, and no member is ever inflated beyond the size the archive declares for it (a member whose zip headers understate
/// its size yields only the declared bytes).
/// A member that is not a <c>.npy</c> array, or is damaged, is refused with an <see cref="InvalidDataException"/> naming the archive and the member.
/// </para>
/// </remarks>
public static class Npz
{
    private const string Suffix = ".npy";

    /// <summary>Deflate cannot shrink data by more than about 1032:1; a member declaring more is not what it claims.</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>Lists the names of the arrays in an archive, in archive order, without reading them.</summary>
    /// <param name="path">The archive.</param>
    /// <returns>The names, without the <c>.npy</c> suffix.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a zip archive, or holds a member that is not a <c>.npy</c> array.</exception>
    public static IReadOnlyList<string> Names(string path)
    {
        Preconditions.FilePath(path, nameof(path));
        using var archive = Open(path);
        var names = new List<string>(archive.Entries.Count);
        foreach (var entry in archive.Entries)
        {
            names.Add(NameOf(entry, path));
        }

        return names;
    }

    /// <summary>Reads one array of an archive.</summary>
    /// <param name="path">The archive.</param>
    /// <param name="name">The array's name, without the <c>.npy</c> suffix (the keyword given to <c>np.savez</c>).</param>
    /// <returns>The array as a new CPU tensor; the caller disposes it. Dtypes as <see cref="Npy.Read"/> gives them.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="KeyNotFoundException">The archive has no array named <paramref name="name"/> (the message lists the names it has).</exception>
    /// <exception cref="InvalidDataException">The file is not a zip archive, or the member is not a valid <c>.npy</c> array of a supported dtype.</exception>
    public static Tensor Read(string path, string name)
    {
        Preconditions.FilePath(path, nameof(path));
        ArgumentNullException.ThrowIfNull(name);
        using var archive = Open(path);
        var entry = archive.GetEntry(name + Suffix);
        if (entry is null)
        {
            var names = new List<string>();
            foreach (var member in archive.Entries)
            {
                names.Add(member.FullName);
            }

            throw new KeyNotFoundException($"{path} has no array named '{name}'; its members are: {string.Join(", ", names)}.");
        }

        return ReadEntry(entry, path);
    }

    /// <summary>Reads every array of an archive.</summary>
    /// <param name="path">The archive.</param>
    /// <returns>The arrays by name (without the <c>.npy</c> suffix), in archive order; the caller disposes every tensor. If one member fails,
    /// the arrays already read are disposed and nothing is returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a zip archive, or a member is not a valid <c>.npy</c> array of a supported dtype.</exception>
    public static IReadOnlyDictionary<string, Tensor> ReadAll(string path)
    {
        Preconditions.FilePath(path, nameof(path));
        using var archive = Open(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in archive.Entries)
            {
                result.Add(NameOf(entry, path), ReadEntry(entry, path));
            }
        }
        catch
        {
            foreach (var tensor in result.Values)
            {
                tensor.Dispose();
            }

            throw;
        }

        return result;
    }

    /// <summary>Writes arrays to an uncompressed archive, as <c>np.savez</c> does; <c>np.load</c> reads it.</summary>
    /// <param name="path">The archive; overwritten only once completely written.</param>
    /// <param name="arrays">The arrays by name (a member <c>&lt;name&gt;.npy</c> each), in the order to store them; not disposed. Dtypes as
    /// <see cref="Npy.Write"/> takes them.</param>
    /// <exception cref="ArgumentNullException">An argument or an array is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank, <paramref name="arrays"/> is empty, a name is blank or holds a
    /// path separator, or an array has a dtype NumPy has no type for.</exception>
    /// <exception cref="ObjectDisposedException">An array has been disposed.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> arrays)
    {
        WriteArchive(path, arrays, CompressionLevel.NoCompression);
    }

    /// <summary>Writes arrays to a deflate-compressed archive, as <c>np.savez_compressed</c> does; <c>np.load</c> reads it.</summary>
    /// <param name="path">The archive; overwritten only once completely written.</param>
    /// <param name="arrays">The arrays by name (a member <c>&lt;name&gt;.npy</c> each), in the order to store them; not disposed.</param>
    /// <exception cref="ArgumentNullException">An argument or an array is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is blank, <paramref name="arrays"/> is empty, a name is blank or holds a
    /// path separator, or an array has a dtype NumPy has no type for.</exception>
    /// <exception cref="ObjectDisposedException">An array has been disposed.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void WriteCompressed(string path, IReadOnlyDictionary<string, Tensor> arrays)
    {
        WriteArchive(path, arrays, CompressionLevel.Optimal);
    }

    private static void WriteArchive(string path, IReadOnlyDictionary<string, Tensor> arrays, CompressionLevel level)
    {
        Preconditions.FilePath(path, nameof(path));
        ArgumentNullException.ThrowIfNull(arrays);
        if (arrays.Count == 0)
        {
            throw new ArgumentException("arrays must hold at least one array; found none.", nameof(arrays));
        }

        foreach (var (name, array) in arrays)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
            {
                throw new ArgumentException($"arrays has the name \"{name}\"; a name must be non-blank and hold no path separator.", nameof(arrays));
            }

            Preconditions.Live(array, $"arrays[\"{name}\"]");
        }

        AtomicFile.Write(path, stream =>
        {
            using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (name, array) in arrays)
            {
                var entry = archive.CreateEntry(name + Suffix, level);
                // A fixed time (the zip epoch, as NumPy's zipfile writes) so that the same arrays give the same bytes.
                entry.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var member = entry.Open();
                NpyFile.Write(member, array, $"arrays[\"{name}\"]");
            }
        });
    }

    private static ZipArchive Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException e)
        {
            stream.Dispose();
            throw new InvalidDataException($"{path} is not a .npz file: it is not a zip archive ({e.Message}).", e);
        }
    }

    private static string NameOf(ZipArchiveEntry entry, string path)
    {
        if (!entry.FullName.EndsWith(Suffix, StringComparison.Ordinal) || entry.FullName.Length == Suffix.Length)
        {
            throw new InvalidDataException($"{path} member '{entry.FullName}' is not a .npy array (a .npz archive holds only <name>.npy members).");
        }

        return entry.FullName[..^Suffix.Length];
    }

    private static Tensor ReadEntry(ZipArchiveEntry entry, string path)
    {
        NameOf(entry, path);
        var source = $"{path} member '{entry.FullName}'";
        if (entry.Length > Math.Max(entry.CompressedLength, 1) * MaxDeflateRatio)
        {
            throw new InvalidDataException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{source} declares {entry.Length} bytes from {entry.CompressedLength} compressed, more than deflate can produce: the archive is corrupt or hostile."));
        }

        try
        {
            using var stream = entry.Open();
            var header = NpyFile.ReadHeader(stream, source, out var headerBytes);
            return NpyFile.ReadData(stream, header, entry.Length - headerBytes, source);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(source, StringComparison.Ordinal))
        {
            // The zip layer's own errors (a bad CRC, a corrupt deflate stream) name neither the archive nor the member.
            throw new InvalidDataException($"{source} is corrupt: {e.Message}", e);
        }
    }
}
