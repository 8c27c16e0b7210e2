using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using TorchSharp;
using Uqlib.Calibration;
using static TorchSharp.torch;

namespace Uqlib.Benchmarks;

/// <summary>
/// The cold-start rows of docs/benchmarks.md: <see cref="TemperatureScaling.Fit(Tensor, Tensor)"/> on the (50,000 × 100) logits of
/// <see cref="CalibrationBenchmarks"/>, timed from its first call in fresh processes, under the runtime's default settings and under the
/// tiering settings an application may choose.
/// </summary>
/// <remarks>
/// An in-process BenchmarkDotNet job cannot see a first call (its process has run the method before), and a separately generated
/// benchmark project lacks the TorchSharp natives of this build (see <see cref="Program"/>), so each process here is this assembly
/// re-launched: it makes the data, then times calls 1 to 3 and the median of calls 11 to 20 (the steady state), one libtorch thread,
/// in wall time and in the calling thread's CPU time (which a loaded machine inflates far less; background tier-1 compilation is not in it).
/// Run: <c>dotnet run -c Release --project tests/Uqlib.Benchmarks -- --cold-start-rows [processes]</c> (default 10 per setting).
/// </remarks>
internal static class ColdStartRows
{
    public const string Flag = "--cold-start-rows";

    private const string ChildFlag = "--cold-start-child";

    /// <summary>The settings compared: what an application gets by default, and the tiering switches it can set (runtimeconfig or environment).</summary>
    private static readonly (string Name, (string Variable, string Value)[] Environment)[] Settings =
    {
        ("defaults (tiered compilation, quick JIT for loops with OSR, dynamic PGO)", []),
        ("DOTNET_TieredPGO=0", [("DOTNET_TieredPGO", "0")]),
        ("DOTNET_TC_QuickJitForLoops=0", [("DOTNET_TC_QuickJitForLoops", "0")]),
        ("DOTNET_TieredCompilation=0", [("DOTNET_TieredCompilation", "0")]),
    };

    public static void Print(string[] args)
    {
        var processes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        Console.WriteLine("| setting | call 1 (ms) | call 2 (ms) | call 3 (ms) | steady, calls 11–20 (ms) | call 1, calling thread's CPU (ms) | steady, CPU (ms) | processes |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, environment) in Settings)
        {
            var runs = Enumerable.Range(0, processes).Select(_ => Child(environment)).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {Median(runs, 0):F1} | {Median(runs, 1):F1} | {Median(runs, 2):F1} | {Median(runs, 3):F1} | {Median(runs, 4):F1} | {Median(runs, 5):F1} | {processes} |"));
        }
    }

    /// <summary>Whether the arguments are those of a child started by <see cref="Print"/>.</summary>
    public static bool IsChild(string[] args) => args.Length > 0 && args[0] == ChildFlag;

    /// <summary>The child's entry: prints the times of calls 1, 2, 3 and the median of calls 11 to 20, in milliseconds.</summary>
    public static void RunChild()
    {
        torch.set_num_threads(1);
        using var logits = torch.randn(50_000, 100, generator: torch.manual_seed(0)).mul_(3);
        using var truth = logits.div(2).softmax(1);
        using var labels = truth.multinomial(1, generator: torch.manual_seed(1)).squeeze(1);
        var times = new double[20];
        var cpu = new double[20];
        for (var i = 0; i < times.Length; i++)
        {
            var clock = Stopwatch.StartNew();
            var started = ThreadCpuMilliseconds();
            TemperatureScaling.Fit(logits, labels);
            cpu[i] = ThreadCpuMilliseconds() - started;
            times[i] = clock.Elapsed.TotalMilliseconds;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{ChildFlag} {times[0]:R} {times[1]:R} {times[2]:R} {Middle(times[10..]):R} {cpu[0]:R} {Middle(cpu[10..]):R}"));
    }

    private static double[] Child((string Variable, string Value)[] environment)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(typeof(ColdStartRows).Assembly.Location);
        }

        start.ArgumentList.Add(ChildFlag);
        foreach (var (variable, value) in environment)
        {
            start.Environment[variable] = value;
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("The child process did not start.");
        var output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith(ChildFlag, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The cold-start child failed (exit code {child.ExitCode}):\n{output}");
        return line[(ChildFlag.Length + 1)..].Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    private static double Median(IReadOnlyList<double[]> runs, int column) => Middle(runs.Select(r => r[column]).ToArray());

    private static double Middle(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>): the work a first call does itself, JIT included, whatever the machine's load.</summary>
    private static double ThreadCpuMilliseconds()
    {
        return ClockGetTime(3, out var time) == 0 ? (time.Seconds * 1e3) + (time.Nanoseconds * 1e-6) : double.NaN;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
