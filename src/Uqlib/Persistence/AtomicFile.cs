using System;
using System.Globalization;
using System.IO;
using System.Threading;

namespace Uqlib.Persistence;

/// <summary>Writes a file so that a reader sees either the old file or the whole new one, never a half-written file.</summary>
/// <remarks>The one atomic writer of the project: saved fitted values, <c>.npy</c>/<c>.npz</c> files and NIfTI volumes (compiled into
/// Uqlib.Imaging as linked source) all go through it.</remarks>
internal static class AtomicFile
{
    private static long counter;

    /// <summary>
    /// Writes through <paramref name="write"/> to a temporary file beside <paramref name="path"/> (a hidden name unique to this process
    /// and call, so concurrent saves never share one), flushes it to disk, then moves it into place.
    /// </summary>
    /// <remarks>On failure the temporary file is deleted and any existing file at <paramref name="path"/> is left as it was.</remarks>
    public static void Write(string path, Action<FileStream> write)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(
            Path.GetDirectoryName(full) ?? ".",
            string.Create(CultureInfo.InvariantCulture, $".{Path.GetFileName(full)}.{Environment.ProcessId}-{Interlocked.Increment(ref counter)}.tmp"));
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
