using BenchmarkDotNet.Running;

namespace Uqlib.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project tests/Uqlib.Benchmarks -- --filter '*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args)
    {
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
