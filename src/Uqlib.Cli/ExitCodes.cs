namespace Uqlib.Cli;

/// <summary>The exit codes of every <c>uqlib</c> command (docs/cli.md lists them).</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>The command line is wrong: an unknown command or option, a missing required option, a value that does not parse.</summary>
    public const int Usage = 1;

    /// <summary>An input is wrong: a missing or unreadable file, a wrong shape or dtype, NaN or ∞, inconsistent case counts, a value out of range.</summary>
    public const int BadInput = 2;

    /// <summary>An output cannot be written (no space, no permission, the folder exists); nothing half-written is left.</summary>
    public const int OutputFailed = 3;

    /// <summary><c>uqlib compare</c>: the arrays differ by more than the tolerance.</summary>
    public const int Different = 4;

    /// <summary>The run was cancelled (Ctrl+C, SIGTERM from a scheduler); nothing half-written is left.</summary>
    public const int Cancelled = 130;

    /// <summary>An unexpected failure inside the tool or the library: a bug, reported with its exception type.</summary>
    public const int InternalError = 70;
}
