using System;
using System.Globalization;
using System.IO;

namespace Uqlib.Cli.Io;

/// <summary>
/// A folder of outputs written in a hidden staging folder beside the target and moved into place by <see cref="Commit"/>; disposed
/// without a commit (a failure, a cancellation) it deletes the staging folder, so the target is either absent, the old one, or complete.
/// </summary>
internal sealed class StagedFolder : IDisposable
{
    private readonly string option;
    private bool committed;

    public StagedFolder(string target, bool overwrite, string option)
    {
        this.option = option;
        Target = Path.GetFullPath(target);
        if (Directory.Exists(Target) && !overwrite && Directory.EnumerateFileSystemEntries(Target).GetEnumerator().MoveNext())
        {
            throw new CliException(ExitCodes.OutputFailed, $"{option}: '{target}' exists and is not empty (pass --overwrite to replace it)");
        }

        var parent = Path.GetDirectoryName(Target) ?? ".";
        Staging = Path.Combine(parent, string.Create(CultureInfo.InvariantCulture, $".{Path.GetFileName(Target)}.{Environment.ProcessId}.staging"));
        OutputFiles.Run(Staging, option, () => Directory.CreateDirectory(Staging));
    }

    /// <summary>Gets the final folder.</summary>
    public string Target { get; }

    /// <summary>Gets the staging folder to write into.</summary>
    public string Staging { get; }

    /// <summary>Moves the staged folder into place (replacing an old one).</summary>
    public void Commit()
    {
        OutputFiles.Run(Target, option, () =>
        {
            string? old = null;
            if (Directory.Exists(Target))
            {
                old = Staging + ".old";
                Directory.Move(Target, old);
            }

            Directory.Move(Staging, Target);
            if (old is not null)
            {
                Directory.Delete(old, recursive: true);
            }
        });
        committed = true;
    }

    public void Dispose()
    {
        if (!committed && Directory.Exists(Staging))
        {
            Directory.Delete(Staging, recursive: true);
        }
    }
}
