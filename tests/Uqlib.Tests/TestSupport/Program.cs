namespace Uqlib.Tests.TestSupport;

/// <summary>The test assembly's entry point (the test SDK's own is turned off): a child process started by <see cref="PeakMemory"/> runs its scenario here.</summary>
internal static class Program
{
    public static int Main(string[] args) => PeakMemory.RunChild(args);
}
