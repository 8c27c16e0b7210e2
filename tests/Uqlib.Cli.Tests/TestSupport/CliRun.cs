using System;
using System.IO;
using System.Linq;
using TorchSharp;
using Uqlib.Interop;

namespace Uqlib.Cli.Tests.TestSupport;

/// <summary>One in-process run of the <c>uqlib</c> command: its exit code, stdout and stderr.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    /// <summary>Gets the folder of the committed fixtures (Fixtures/make_fixtures.py).</summary>
    public static string Fixtures { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>Gets the stderr lines that are not progress lines.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("uqlib: error:", StringComparison.Ordinal)).ToArray();

    /// <summary>Runs <c>uqlib</c> with the arguments, in this process.</summary>
    public static CliRun Of(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = UqlibCli.Run(args, output, error);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>The path of a committed fixture.</summary>
    public static string Fixture(string name) => Path.Combine(Fixtures, name);

    /// <summary>Reads a fixture as the library reads it.</summary>
    public static torch.Tensor Load(string name) => Npy.Read(Fixture(name));

    /// <summary>Whether two arrays are bit-identical: same dtype, same shape, same values.</summary>
    public static bool Identical(torch.Tensor a, torch.Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
