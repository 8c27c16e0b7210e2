using System;
using System.IO;

namespace Uqlib.Persistence;

/// <summary>Writes a file so that a reader sees either the old file or the whole new one, never a half-written file.</summary>
internal static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/> to a temporary file beside <paramref name="path"/>, then moves it into place.</summary>
    /// <remarks>On failure the temporary file is deleted and any existing file at <paramref name="path"/> is left as it was.</remarks>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var temporary = full + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
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
