using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using FluentAssertions;
using TorchSharp;
using Xunit;

namespace Uqlib.Tests.Build;

/// <summary>Checks the build step that makes TorchSharp 0.107.0 load where libstdc++ lacks GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04).</summary>
public sealed class LibTorchSharpPatchTests
{
    private const string Version = "GLIBCXX_3.4.32";

    [Fact]
    public void OutputLibrary_NeedsTheMissingVersionOnlyWeakly()
    {
        var library = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        if (!OperatingSystem.IsLinux() || !File.Exists(library))
        {
            return;
        }

        var flags = ReadVersionNeedFlags(File.ReadAllBytes(library), Version);
        if (HostHas(Version))
        {
            flags.Should().NotBeNull("TorchSharp 0.107.0 declares a need for {0}", Version);
            return;
        }

        flags.Should().NotBeNull();
        (flags!.Value & 0x2).Should().Be(0x2, "the build must mark {0} as a weak version need on this host", Version);
    }

    [Fact]
    public void TorchSharp_Loads()
    {
        using var x = torch.ones(3);
        x.sum().item<float>().Should().Be(3f);
    }

    [Fact]
    public void BuildStep_EachMode_PatchesAsItSays()
    {
        var original = OriginalLibTorchSharp();
        if (!OperatingSystem.IsLinux() || original is null)
        {
            return;
        }

        using var root = new TemporaryFolder();
        var modes = new[] { "auto", "true", "always", "never", "false", "Always" };
        var calls = string.Concat(modes.Select((mode, i) =>
            $"<MSBuild Projects=\"$(MSBuildProjectFullPath)\" Targets=\"Build\" Properties=\"OutDir={root.Path}/{i}/;UqlibPatchLibTorchSharp={mode}\" />"));
        for (var i = 0; i < modes.Length; i++)
        {
            Directory.CreateDirectory(Path.Combine(root.Path, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            File.WriteAllBytes(Path.Combine(root.Path, i.ToString(System.Globalization.CultureInfo.InvariantCulture), "libLibTorchSharp.so"), original);
        }

        var (exit, output) = MsBuild(root.Path, calls);
        exit.Should().Be(0, output);
        var autoWeak = !HostHas(Version);
        for (var i = 0; i < modes.Length; i++)
        {
            var patched = File.ReadAllBytes(Path.Combine(root.Path, i.ToString(System.Globalization.CultureInfo.InvariantCulture), "libLibTorchSharp.so"));
            var weak = (ReadVersionNeedFlags(patched, Version)!.Value & 0x2) != 0;
            var expected = modes[i].ToLowerInvariant() switch
            {
                "always" => true,
                "never" or "false" => false,
                _ => autoWeak,
            };
            weak.Should().Be(expected, "mode {0} on a host that {1} {2}", modes[i], autoWeak ? "lacks" : "has", Version);
            if (!weak)
            {
                patched.Should().Equal(original, "mode {0} leaves the library as NuGet delivers it", modes[i]);
            }
        }
    }

    [Fact]
    public void BuildStep_UnknownMode_FailsNamingTheChoices()
    {
        var original = OriginalLibTorchSharp();
        if (!OperatingSystem.IsLinux() || original is null)
        {
            return;
        }

        using var root = new TemporaryFolder();
        File.WriteAllBytes(Path.Combine(root.Path, "libLibTorchSharp.so"), original);
        var (exit, output) = MsBuild(root.Path,
            $"<MSBuild Projects=\"$(MSBuildProjectFullPath)\" Targets=\"Build\" Properties=\"OutDir={root.Path}/;UqlibPatchLibTorchSharp=sometimes\" />");

        exit.Should().NotBe(0);
        output.Should().Contain("UqlibPatchLibTorchSharp must be auto, always or never").And.Contain("sometimes");
        File.ReadAllBytes(Path.Combine(root.Path, "libLibTorchSharp.so")).Should().Equal(original);
    }

    /// <summary>TorchSharp 0.107's native library as NuGet delivers it (unpatched), or null where the package cache has none.</summary>
    private static byte[]? OriginalLibTorchSharp()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    /// <summary>Runs the package's targets file in a project whose Build target does nothing, so only the patch step runs.</summary>
    private static (int ExitCode, string Output) MsBuild(string folder, string body)
    {
        var targets = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(targets, "src", "Uqlib", "build", "Uqlib.targets")))
        {
            targets = Path.GetDirectoryName(targets) ?? throw new InvalidOperationException("The repository's src/Uqlib/build/Uqlib.targets was not found.");
        }

        var project = Path.Combine(folder, "patch.proj");
        File.WriteAllText(project,
            "<Project><Import Project=\"" + Path.Combine(targets, "src", "Uqlib", "build", "Uqlib.targets") + "\" />"
            + "<Target Name=\"Build\" /><Target Name=\"All\">" + body + "</Target></Project>");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        foreach (var argument in new[] { "msbuild", project, "-t:All", "-nologo", "-v:m", "-nodeReuse:false" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error);
    }

    private static bool HostHas(string version)
    {
        foreach (var candidate in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" })
        {
            if (File.Exists(candidate))
            {
                return File.ReadAllBytes(candidate).AsSpan().IndexOf(Encoding.ASCII.GetBytes(version + "\0")) >= 0;
            }
        }

        return true;
    }

    /// <summary>An independent reader of the ELF version-need table: the flags of the entry naming <paramref name="version"/>.</summary>
    private static ushort? ReadVersionNeedFlags(byte[] elf, string version)
    {
        var sections = (int)BitConverter.ToUInt64(elf, 0x28);
        int size = BitConverter.ToUInt16(elf, 0x3A);
        int count = BitConverter.ToUInt16(elf, 0x3C);
        for (var s = 0; s < count; s++)
        {
            var header = sections + (s * size);
            if (BitConverter.ToUInt32(elf, header + 4) != 0x6ffffffe)
            {
                continue;
            }

            var strings = (int)BitConverter.ToUInt64(elf, sections + ((int)BitConverter.ToUInt32(elf, header + 40) * size) + 24);
            var need = (int)BitConverter.ToUInt64(elf, header + 24);
            for (var n = 0; n < BitConverter.ToUInt32(elf, header + 44); n++)
            {
                var aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (var a = 0; a < BitConverter.ToUInt16(elf, need + 2); a++)
                {
                    var start = strings + (int)BitConverter.ToUInt32(elf, aux + 8);
                    var end = Array.IndexOf(elf, (byte)0, start);
                    if (Encoding.ASCII.GetString(elf, start, end - start) == version)
                    {
                        return BitConverter.ToUInt16(elf, aux + 4);
                    }

                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }

                need += (int)BitConverter.ToUInt32(elf, need + 12);
            }
        }

        return null;
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("uqlib-patch-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
