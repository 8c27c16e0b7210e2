using System;
using System.IO;
using System.Text;
using Uqlib.Persistence;

namespace Uqlib.Cli.Io;

/// <summary>
/// Writes the tool's outputs so that nothing half-written is ever left: single files through the library's one atomic writer (or its
/// own atomic <c>Save</c>), folders of files staged beside the target and moved into place at the end.
/// </summary>
internal static class OutputFiles
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes a text file atomically.</summary>
    public static void WriteText(string path, string content, string option)
    {
        Run(path, option, () => AtomicFile.Write(path, stream =>
        {
            var bytes = Utf8.GetBytes(content);
            stream.Write(bytes, 0, bytes.Length);
        }));
    }

    /// <summary>Runs a library save (already atomic) or another write, turning an I/O failure into the tool's output error.</summary>
    public static void Run(string path, string option, Action write)
    {
        try
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }

            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.OutputFailed, $"{option}: cannot write '{path}': {ArrayInput.OneLine(e.Message)}", e);
        }
    }
}
