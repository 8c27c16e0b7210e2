using System;
using System.Diagnostics;
using System.IO;
using FluentAssertions;
using Xunit;

namespace Uqlib.Tests.Build;

/// <summary>.ci/gpu-check skips with a message and exit code 0 where there is no GPU, so CI passes on machines without one.</summary>
public sealed class GpuCheckScriptTests
{
    [Fact]
    public void Run_WithoutNvidiaSmi_SkipsSayingWhy()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var folder = Directory.CreateTempSubdirectory("uqlib-gpu-check-").FullName;
        try
        {
            var (exit, output) = Run(Path.Combine(folder, "nvidia-smi"));

            exit.Should().Be(0);
            output.Should().StartWith("gpu-check: skipped: nvidia-smi is not installed");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Run_WhenNvidiaSmiListsNoGpu_SkipsQuotingIt()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var folder = Directory.CreateTempSubdirectory("uqlib-gpu-check-").FullName;
        try
        {
            var fake = Path.Combine(folder, "nvidia-smi");
            File.WriteAllText(fake, "#!/bin/sh\necho 'No devices were found'\nexit 6\n");
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);

            var (exit, output) = Run(fake);

            exit.Should().Be(0);
            output.Should().StartWith("gpu-check: skipped: nvidia-smi lists no GPU (it said: No devices were found).");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Runs the script with <paramref name="nvidiaSmi"/> as the command that lists the GPUs.</summary>
    private static (int ExitCode, string Output) Run(string nvidiaSmi)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, ".ci", "gpu-check")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("The repository's .ci/gpu-check was not found.");
        }

        var start = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(root, ".ci", "gpu-check"));
        start.Environment["UQLIB_NVIDIA_SMI"] = nvidiaSmi;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
