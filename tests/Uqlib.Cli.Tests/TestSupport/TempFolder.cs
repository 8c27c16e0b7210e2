using System;
using System.IO;

namespace Uqlib.Cli.Tests.TestSupport;

/// <summary>A fresh folder for one test's outputs, deleted afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = Directory.CreateTempSubdirectory("uqlib-cli-tests.").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
