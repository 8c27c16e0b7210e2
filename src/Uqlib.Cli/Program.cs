using System;

namespace Uqlib.Cli;

/// <summary>The <c>uqlib</c> executable.</summary>
internal static class Program
{
    private static int Main(string[] args) => UqlibCli.Run(args, Console.Out, Console.Error, handleTermination: true);
}
