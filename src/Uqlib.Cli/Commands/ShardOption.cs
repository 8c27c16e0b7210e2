using System;
using System.CommandLine;
using Uqlib.Sharding;

namespace Uqlib.Cli.Commands;

/// <summary>The <c>--shard</c> option of every pass over data: which part of the cases this run does (the library's <see cref="ShardSpec"/>).</summary>
internal static class ShardOption
{
    public static Option<string?> Create(string name = "--shard", string what = "cases") => new(name)
    {
        Description = $"Do only one shard of the {what}: i/n (zero-based, e.g. $SLURM_ARRAY_TASK_ID/4 or $JOB_COMPLETION_INDEX/4) or an index range start..end; " +
                      "writes a partial state in Uqlib's saved-file envelope for 'uqlib merge'.",
        HelpName = "i/n",
    };

    /// <summary>The shard named on the command line, or <see langword="null"/> for the whole pass.</summary>
    public static ShardSpec? Read(ParseResult parse, Option<string?> option)
    {
        if (parse.GetValue(option) is not string text)
        {
            return null;
        }

        try
        {
            return ShardSpec.Parse(text);
        }
        catch (FormatException e)
        {
            throw new CliException(ExitCodes.Usage, $"{option.Name}: {Io.ArrayInput.OneLine(e.Message)}");
        }
    }

    /// <summary>The rows [start, end) of this shard among <paramref name="total"/>, refusing a shard that does not fit.</summary>
    public static (long Start, long End) Rows(ShardSpec shard, long total, string option)
    {
        try
        {
            return shard.CasesOf(total);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw CliException.Input(option, $"shard {shard} does not fit {total} rows: {Io.ArrayInput.OneLine(e.Message)}");
        }
    }
}
