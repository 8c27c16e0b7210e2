using System.Collections.Generic;
using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Uqlib.Cli.Commands;

/// <summary>
/// The help action of every command: the standard help, then the command's examples. Commands are described as
/// "what it does" + "\n\nExamples:\n  …" (<see cref="CommonOptions.Describe"/>); <see cref="Install"/> keeps the first paragraph as the
/// description (so the command lists of <c>uqlib --help</c> stay one entry per command) and prints the examples after the help.
/// </summary>
internal sealed class ExamplesHelp : SynchronousCommandLineAction
{
    private const string Marker = "\n\nExamples:\n";
    private readonly HelpAction standard;
    private readonly Dictionary<Command, string> examples = [];

    private ExamplesHelp(HelpAction standard)
    {
        this.standard = standard;
    }

    /// <summary>Installs the action on the root's help option (which every subcommand inherits).</summary>
    public static void Install(Command root)
    {
        foreach (var option in root.Options)
        {
            if (option is HelpOption { Action: HelpAction action } help)
            {
                var examplesHelp = new ExamplesHelp(action);
                examplesHelp.Collect(root);
                help.Action = examplesHelp;
            }
        }
    }

    /// <summary>Gets <see langword="true"/>: as the standard help, <c>--help</c> works on a command line that is otherwise incomplete.</summary>
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        var code = standard.Invoke(parseResult);
        if (examples.TryGetValue(parseResult.CommandResult.Command, out var text))
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Examples:");
            output.WriteLine(text);
            output.WriteLine();
        }

        return code;
    }

    private void Collect(Command command)
    {
        var description = command.Description ?? string.Empty;
        var marker = description.IndexOf(Marker, System.StringComparison.Ordinal);
        if (marker >= 0)
        {
            examples[command] = description[(marker + Marker.Length)..];
            command.Description = description[..marker];
        }

        foreach (var child in command.Subcommands)
        {
            Collect(child);
        }
    }
}
