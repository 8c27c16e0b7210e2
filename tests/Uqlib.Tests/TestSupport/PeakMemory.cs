using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;

namespace Uqlib.Tests.TestSupport;

/// <summary>
/// Measures the peak resident memory of a scenario in a child process: this test assembly re-launched with the scenario's name, so
/// that the tests running beside it in the test host neither add to nor hide its peak.
/// </summary>
/// <remarks>
/// The scenario (a static method taking <c>string[]</c>) prepares its data, calls <see cref="Start"/>, then does the work measured. The
/// peak is the kernel's resident high-water mark (<c>VmHWM</c> in <c>/proc/self/status</c>), reset by <see cref="Start"/> through
/// <c>/proc/self/clear_refs</c>, minus the resident size at that moment: native (libtorch) and managed memory alike. A scenario that
/// does not call <see cref="Start"/> is measured over its whole life, as Python's <c>ru_maxrss</c> measures a peer script. Linux only
/// (see <see cref="LinuxFactAttribute"/>). The benchmarks link this file to measure their peak-memory rows.
/// </remarks>
internal static class PeakMemory
{
    private const string Flag = "--peak-memory";
    private const long MiB = 1 << 20;
    private static long baseline = -1;

    /// <summary>Runs <paramref name="scenario"/> in a child process and returns the peak resident memory it added after <see cref="Start"/>, in MiB.</summary>
    public static double MeasureMiB(Action<string[]> scenario, params string[] arguments)
    {
        var (_, added) = Run(scenario, arguments);
        return added >= 0
            ? added / (double)MiB
            : throw new InvalidOperationException($"The scenario {scenario.Method.Name} did not call PeakMemory.Start.");
    }

    /// <summary>
    /// As <see cref="MeasureMiB"/>, with glibc's mmap threshold fixed at 128 KiB in the child, so that every buffer above it is
    /// returned to the system when freed: measures what the code holds, not what the allocator keeps.
    /// </summary>
    /// <remarks>
    /// glibc raises its mmap threshold to the size of each freed mmapped chunk (up to 32 MiB), so later buffers of a few MiB come from
    /// its heap, where freed ones may stay resident after small allocations split them. A loop that frees an 8 MiB tensor per
    /// iteration then grows by up to 8 MiB per iteration in some runs (measured on the 256³ sliding-window scenario: 3 of 10 runs),
    /// though the code holds none of them.
    /// </remarks>
    public static double MeasureHeldMiB(Action<string[]> scenario, params string[] arguments)
    {
        var (_, added) = Run(scenario, arguments, ("MALLOC_MMAP_THRESHOLD_", "131072"));
        return added >= 0
            ? added / (double)MiB
            : throw new InvalidOperationException($"The scenario {scenario.Method.Name} did not call PeakMemory.Start.");
    }

    /// <summary>Runs <paramref name="scenario"/> in a child process and returns its resident high-water mark over its whole life (as Python's <c>ru_maxrss</c>), in MiB; the scenario must not call <see cref="Start"/>.</summary>
    public static double MeasureProcessMiB(Action<string[]> scenario, params string[] arguments)
    {
        var (highWater, added) = Run(scenario, arguments);
        return added < 0
            ? highWater / (double)MiB
            : throw new InvalidOperationException($"The scenario {scenario.Method.Name} called PeakMemory.Start, which resets the high-water mark.");
    }

    private static (long HighWater, long Added) Run(Action<string[]> scenario, string[] arguments, params (string Name, string Value)[] environment)
    {
        var method = scenario.Method;
        if (!method.IsStatic)
        {
            throw new ArgumentException("The scenario must be a static method.", nameof(scenario));
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (var argument in new[] { "exec", typeof(PeakMemory).Assembly.Location, Flag, method.DeclaringType!.FullName!, method.Name }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("The child process did not start.");
        var error = child.StandardError.ReadToEndAsync();
        var output = child.StandardOutput.ReadToEnd();
        if (!child.WaitForExit(TimeSpan.FromMinutes(30)))
        {
            child.Kill();
            throw new TimeoutException($"The scenario {method.Name} ran for more than 30 minutes.");
        }

        var line = output.Split('\n').LastOrDefault(l => l.StartsWith(Flag, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException(
                $"The scenario {method.Name} failed (exit code {child.ExitCode}):\n{output}\n{error.Result}");
        }

        var numbers = line[(Flag.Length + 1)..].Split(' ');
        return (long.Parse(numbers[0], CultureInfo.InvariantCulture), long.Parse(numbers[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Called by a scenario once its data is ready: the peak is measured from here.</summary>
    public static void Start()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        File.WriteAllText("/proc/self/clear_refs", "5");
        baseline = Status("VmRSS:");
    }

    /// <summary>Whether the arguments are those of a child started by <see cref="MeasureMiB"/> or <see cref="MeasureProcessMiB"/>.</summary>
    public static bool IsChild(string[] args) => args.Length >= 3 && args[0] == Flag;

    /// <summary>The child's entry: runs the scenario named by the arguments and prints its high-water mark and the peak it added after <see cref="Start"/> (−1 without), in bytes.</summary>
    public static int RunChild(string[] args)
    {
        if (!IsChild(args))
        {
            return 0;
        }

        var type = typeof(PeakMemory).Assembly.GetType(args[1], throwOnError: true)!;
        var method = type.GetMethod(args[2], BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new MissingMethodException(args[1], args[2]);
        method.Invoke(null, new object[] { args[3..] });
        var highWater = Status("VmHWM:");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Flag} {highWater} {(baseline < 0 ? -1 : highWater - baseline)}"));
        return 0;
    }

    private static long Status(string key)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
        return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>The dotnet host that runs the tests (the SDK sets DOTNET_HOST_PATH for the processes it starts).</summary>
    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var process = Environment.ProcessPath;
        return process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : "dotnet";
    }
}
