using System;
using System.IO;
using FluentAssertions;

namespace Uqlib.Tests.Calibration;

/// <summary>Writes a calibrator to a temporary file, or a corrupt file, and cleans up.</summary>
internal static class CalibratorFileCases
{
    public static T RoundTrip<T>(Action<string> save, Func<string, T> load)
    {
        var path = Path.GetTempFileName();
        try
        {
            save(path);
            return load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static void ShouldRefuse<T>(string content, Func<string, T> load, string kind)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, content);
            ((Action)(() => load(path))).Should().Throw<InvalidDataException>().WithMessage($"*not a valid {kind} file*");
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static string Header(string kind)
    {
        return "{\"format\": \"uqlib-calibrator\", \"version\": 1, \"kind\": \"" + kind + "\"";
    }
}
