using System;

namespace Uqlib.Cli;

/// <summary>A failure the tool reports as one line on stderr with its exit code (bad input or an output that cannot be written).</summary>
internal sealed class CliException : Exception
{
    public CliException(int exitCode, string message)
        : base(message)
    {
        ExitCode = exitCode;
    }

    public CliException(int exitCode, string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    public CliException()
        : this(ExitCodes.BadInput, "bad input")
    {
    }

    public CliException(string message)
        : this(ExitCodes.BadInput, message)
    {
    }

    public CliException(string message, Exception innerException)
        : this(ExitCodes.BadInput, message, innerException)
    {
    }

    /// <summary>Gets the exit code (<see cref="ExitCodes"/>).</summary>
    public int ExitCode { get; }

    /// <summary>A bad input, named by the option that gave it.</summary>
    public static CliException Input(string option, string problem) => new(ExitCodes.BadInput, $"{option}: {problem}");
}
