using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;

namespace Uqlib.Interactive;

/// <summary>Makes TorchSharp's native library load in a notebook on Linux hosts whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04).</summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> asks for <c>GLIBCXX_3.4.32</c> through one marker symbol it never calls.
/// Applications built against the Uqlib package get a patched copy in their output folder at build time; a notebook
/// loads the library from the NuGet cache instead, where no build step runs. <see cref="Prepare"/> writes a copy with
/// that one version need marked weak to a temporary folder, loads libtorch from its package and then that copy, so
/// TorchSharp finds its native backend already loaded. <c>#r "nuget: Uqlib.Interactive"</c> calls it; it changes
/// nothing in the NuGet cache.
/// </remarks>
public static class TorchSharpSetup
{
    private const string MissingVersion = "GLIBCXX_3.4.32";

    private static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    private static readonly object Gate = new();
    private static string? outcome;

    /// <summary>Preloads a patched copy of TorchSharp's native library where the host needs one; otherwise does nothing.</summary>
    /// <returns>One line saying what was done (or why nothing was needed); the same line on later calls.</returns>
    /// <exception cref="IOException">The copy cannot be written to the temporary folder.</exception>
    /// <exception cref="DllNotFoundException">libtorch or the patched copy cannot be loaded.</exception>
    public static string Prepare()
    {
        lock (Gate)
        {
            return outcome ??= PrepareCore();
        }
    }

    private static string PrepareCore()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "TorchSharp setup: not Linux, nothing to do.";
        }

        var host = LibStdCxxCandidates.FirstOrDefault(File.Exists);
        if (host is null || Contains(File.ReadAllBytes(host), Encoding.ASCII.GetBytes(MissingVersion + "\0")))
        {
            return $"TorchSharp setup: the host's libstdc++ provides {MissingVersion} (or none was found), nothing to do.";
        }

        var managed = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location);
        if (string.IsNullOrEmpty(managed) || File.Exists(Path.Combine(managed, "libLibTorchSharp.so")))
        {
            return "TorchSharp setup: the native library sits beside TorchSharp.dll (an application's output folder), nothing to do.";
        }

        // NuGet cache layout: <packages>/torchsharp/<version>/lib/<tfm>/TorchSharp.dll.
        var package = Path.GetFullPath(Path.Combine(managed, "..", ".."));
        var packages = Path.GetFullPath(Path.Combine(package, "..", ".."));
        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        var original = Path.Combine(package, "runtimes", rid, "native", "libLibTorchSharp.so");
        var libtorch = Directory.Exists(Path.Combine(packages, $"libtorch-cpu-{rid}"))
            ? Directory.GetDirectories(Path.Combine(packages, $"libtorch-cpu-{rid}"))
                .Select(d => Path.Combine(d, "runtimes", rid, "native"))
                .Where(Directory.Exists)
                .OrderBy(d => d, StringComparer.Ordinal)
                .LastOrDefault()
            : null;
        if (!File.Exists(original) || libtorch is null)
        {
            return $"TorchSharp setup: no libLibTorchSharp.so or libtorch-cpu-{rid} package found under {packages}, nothing done.";
        }

        var bytes = File.ReadAllBytes(original);
        ElfVersionNeeds.Weaken(bytes, new HashSet<string>(StringComparer.Ordinal) { MissingVersion });
        var folder = Path.Combine(Path.GetTempPath(), "uqlib-libtorchsharp", Path.GetFileName(package));
        Directory.CreateDirectory(folder);
        var patched = Path.Combine(folder, "libLibTorchSharp.so");
        if (!File.Exists(patched) || !File.ReadAllBytes(patched).AsSpan().SequenceEqual(bytes))
        {
            var temporary = patched + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp";
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, patched, overwrite: true);
        }

        // libtorch first, from its package, so that the copy's needs are met by the libraries already loaded.
        foreach (var library in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            NativeLibrary.Load(Path.Combine(libtorch, library));
        }

        NativeLibrary.Load(patched);
        return $"TorchSharp setup: {host} lacks {MissingVersion}; loaded libtorch from {libtorch} and a copy of libLibTorchSharp.so with that need marked weak ({patched}).";
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
