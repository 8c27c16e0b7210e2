using System.Collections.Generic;
using System.CommandLine;
using System.Linq;

namespace Uqlib.Cli.Commands;

/// <summary>Option factories shared by the commands, so that one input is spelled and described the same everywhere.</summary>
internal static class CommonOptions
{
    /// <summary>The array syntax every input option accepts, for help texts.</summary>
    public const string ArraySyntax = "FILE.npy, FILE.npz:NAME or FILE.csv:COLUMN";

    public static Option<string> Array(string name, string description, bool required = true) =>
        new(name) { Description = $"{description} ({ArraySyntax}).", Required = required, HelpName = "ARRAY" };

    public static Option<string> File(string name, string description, bool required = true) =>
        new(name) { Description = description, Required = required, HelpName = "FILE" };

    public static Option<string[]> NamedArrays(string name, string description, bool required = true) =>
        new(name)
        {
            Description = $"{description}: NAME=ARRAY, repeatable (ARRAY is {ArraySyntax}).",
            Required = required,
            HelpName = "NAME=ARRAY",
            AllowMultipleArgumentsPerToken = false,
        };

    public static Option<string> Output(string description) =>
        new("--output", "-o") { Description = description, Required = true, HelpName = "PATH" };

    public static Option<bool> Overwrite() =>
        new("--overwrite") { Description = "Replace an existing output folder." };

    /// <summary>Splits NAME=ARRAY pairs, refusing a missing name or a repeated one.</summary>
    public static IReadOnlyList<(string Name, string Spec)> SplitNamed(IEnumerable<string>? values, string option)
    {
        var pairs = new List<(string, string)>();
        foreach (var value in values ?? [])
        {
            var equals = value.IndexOf('=');
            if (equals <= 0 || equals == value.Length - 1)
            {
                throw CliException.Input(option, $"expected NAME=ARRAY, found '{value}'");
            }

            var name = value[..equals];
            if (pairs.Any(p => p.Item1 == name))
            {
                throw CliException.Input(option, $"the name '{name}' is given twice");
            }

            pairs.Add((name, value[(equals + 1)..]));
        }

        return pairs;
    }

    /// <summary>The description of a command: what it does, then its examples.</summary>
    public static string Describe(string what, params string[] examples) =>
        what + "\n\nExamples:\n" + string.Join("\n", examples.Select(e => "  " + e));
}
