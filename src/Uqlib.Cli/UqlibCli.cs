using System;
using System.CommandLine;
using System.CommandLine.Help;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using TorchSharp;
using Uqlib.Cli.Commands;
using Uqlib.Cli.Io;

namespace Uqlib.Cli;

/// <summary>The <c>uqlib</c> command tree, and the one place where every failure becomes one stderr line and an exit code.</summary>
internal static class UqlibCli
{
    /// <summary>Gets <c>--json</c>: the result on stdout as JSON (every command).</summary>
    public static Option<bool> Json { get; } = new("--json") { Description = "Write the result to stdout as JSON instead of text.", Recursive = true };

    /// <summary>Gets <c>--quiet</c>: no progress lines on stderr (errors are still written).</summary>
    public static Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Write no progress lines to stderr (errors still are).", Recursive = true };

    /// <summary>Runs one command line; returns its exit code (<see cref="ExitCodes"/>).</summary>
    /// <param name="args">The arguments after <c>uqlib</c>.</param>
    /// <param name="output">Receives the result (text, or JSON with <c>--json</c>) and help.</param>
    /// <param name="error">Receives progress lines and the one error line.</param>
    /// <param name="handleTermination">Whether Ctrl+C and SIGTERM cancel the run (the real process); off for runs inside a test.</param>
    public static int Run(string[] args, TextWriter output, TextWriter error, bool handleTermination = false)
    {
        var root = Build(output, error);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            var command = string.Join(' ', parse.CommandResult.Command.Name == root.Name
                ? ["uqlib"]
                : new[] { "uqlib" }.Concat(CommandPath(parse.CommandResult)));
            // An unknown word explains more than the "required command" complaint it causes: name it first.
            var first = parse.Errors.FirstOrDefault(e => parse.UnmatchedTokens.Any(t => e.Message.Contains($"'{t}'", StringComparison.Ordinal))) ?? parse.Errors[0];
            error.WriteLine($"uqlib: error: {ArrayInput.OneLine(first.Message)} (see '{command} --help')");
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = handleTermination ? TimeSpan.FromSeconds(10) : null,
        };
        try
        {
            return parse.Invoke(configuration);
        }
        catch (Exception e)
        {
            var (code, message) = Describe(e);
            error.WriteLine("uqlib: error: " + message);
            return code;
        }
    }

    /// <summary>Sets a command's action: runs <paramref name="body"/> under one tensor dispose scope with the run's context.</summary>
    public static void SetBody(Command command, TextWriter output, TextWriter error, Func<ParseResult, CliContext, int> body)
    {
        command.SetAction((parse, cancellationToken) =>
        {
            var context = new CliContext(output, error, parse.GetValue(Json), parse.GetValue(Quiet), cancellationToken);
            using var scope = torch.NewDisposeScope();
            return Task.FromResult(body(parse, context));
        });
    }

    private static Command Build(TextWriter output, TextWriter error)
    {
        // A root named "uqlib" (a RootCommand takes the executable's name, Uqlib.Cli: the assembly cannot be called uqlib beside Uqlib.dll).
        var root = new Command(
            "uqlib",
            "Post-hoc uncertainty quantification of a trained model's outputs, from files: .npy/.npz arrays, CSV columns, and ONNX or " +
            "TorchScript models over image folders or NIfTI volumes. Results go to stdout (--json for JSON), progress to stderr. Passes over data take " +
            "--shard i/n and 'uqlib merge' combines their partial states exactly. Exit codes: 0 success, 1 bad command line, 2 bad input, " +
            "3 output not written, 4 arrays differ (compare), 70 internal error, 130 cancelled.")
        {
            new HelpOption(),
            new VersionOption(),
            Json,
            Quiet,
        };
        foreach (var command in new[]
                 {
                     CalibrateCommand.Create(output, error),
                     EvaluateCommand.Create(output, error),
                     OodCommand.Create(output, error),
                     ConformalCommand.Create(output, error),
                     GpsCommand.Create(output, error),
                     CombineCommand.Create(output, error),
                     InferCommand.Create(output, error),
                     MergeCommand.Create(output, error),
                     CompareCommand.Create(output, error),
                     ReportCommand.Create(output, error),
                 })
        {
            root.Add(command);
        }

        ExamplesHelp.Install(root);
        return root;
    }

    private static string[] CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new System.Collections.Generic.List<string>();
        for (var current = result; current.Parent is System.CommandLine.Parsing.CommandResult parent; current = parent)
        {
            names.Insert(0, current.Command.Name);
        }

        return [.. names];
    }

    private static (int Code, string Message) Describe(Exception e) => e switch
    {
        CliException cli => (cli.ExitCode, ArrayInput.OneLine(cli.Message)),
        OperationCanceledException => (ExitCodes.Cancelled, "cancelled; no output was left half-written"),
        ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or FormatException or InvalidOperationException
            => (ExitCodes.BadInput, ArrayInput.OneLine(e.Message)),
        IOException or UnauthorizedAccessException => (ExitCodes.OutputFailed, ArrayInput.OneLine(e.Message)),
        _ => (ExitCodes.InternalError, $"internal error ({e.GetType().Name}): {ArrayInput.OneLine(e.Message)}"),
    };
}
