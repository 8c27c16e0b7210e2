using System;
using System.Collections.Generic;
using System.IO;
using Uqlib.Samples.BiradsShape.Study;

namespace Uqlib.Samples.BiradsShape.Tests.Study;

/// <summary>Runs the study once in quick mode into a temporary folder, for the tests that read its report.</summary>
public sealed class QuickStudyFixture : IDisposable
{
    public QuickStudyFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "uqlib-birads-" + Guid.NewGuid().ToString("N"));
        Options = StudyOptions.Quick with { OutputDirectory = Directory };
        Result = BiradsStudy.Run(Options, new InlineProgress<string>(Lines.Add));
    }

    public string Directory { get; }

    public StudyOptions Options { get; }

    public StudyResult Result { get; }

    public List<string> Lines { get; } = new();

    public void Dispose()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
