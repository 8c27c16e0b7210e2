using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Uqlib.Build;

namespace Uqlib.Interactive;

/// <summary>Makes TorchSharp's native library load in a notebook on Linux hosts whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04).</summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> asks for <c>GLIBCXX_3.4.32</c> through one marker symbol it never calls.
/// Applications built against the Uqlib package get a patched copy in their output folder at build time; a notebook
/// loads the library from the NuGet cache instead, where no build step runs. <see cref="Prepare"/> writes a copy with
/// that one version need marked weak (the same code as the build step) to a private per-user folder (mode 0700, under
/// <c>$XDG_CACHE_HOME</c> or <c>~/.cache</c>), checks its SHA-256 against the original patched in memory, loads libtorch from its
/// package and then that copy, so
/// TorchSharp finds its native backend already loaded. <c>#r "nuget: Uqlib.Interactive"</c> calls it; it changes
/// nothing in the NuGet cache.
/// </remarks>
public static class TorchSharpSetup
{
    private const string MissingVersion = "GLIBCXX_3.4.32";

    private const UnixFileMode PrivateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static readonly object Gate = new();
    private static string? outcome;

    /// <summary>Preloads a patched copy of TorchSharp's native library where the host needs one; otherwise does nothing.</summary>
    /// <returns>One line saying what was done (or why nothing was needed); the same line on later calls.</returns>
    /// <exception cref="IOException">The copy cannot be written to the per-user folder, or does not verify.</exception>
    /// <exception cref="UnauthorizedAccessException">The per-user folder belongs to another user.</exception>
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

        var host = ElfVersionNeeds.HostLibStdCxx();
        if (host is null || ElfVersionNeeds.Missing(File.ReadAllBytes(host), new[] { MissingVersion }).Count == 0)
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

        var patched = PatchedCopy(original, PrivateDirectory(Path.GetFileName(package)));

        // libtorch first, from its package, so that the copy's needs are met by the libraries already loaded.
        foreach (var library in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            NativeLibrary.Load(Path.Combine(libtorch, library));
        }

        NativeLibrary.Load(patched);
        return $"TorchSharp setup: {host} lacks {MissingVersion}; loaded libtorch from {libtorch} and a copy of libLibTorchSharp.so with that need marked weak ({patched}).";
    }

    /// <summary>
    /// The per-user folder of the patched copy: <c>$XDG_CACHE_HOME/uqlib/libtorchsharp/&lt;version&gt;</c> (an absolute
    /// <c>XDG_CACHE_HOME</c> only), else <c>~/.cache/uqlib/libtorchsharp/&lt;version&gt;</c>. The uqlib folders are created with mode 0700
    /// and set to it again, which only their owner can do: a folder another user made or opened up fails here instead of being used.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">A folder belongs to another user.</exception>
    /// <exception cref="IOException">A folder cannot be created.</exception>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    internal static string PrivateDirectory(string version, string? cacheHome = null, string? home = null)
    {
        cacheHome ??= Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        home ??= Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var cache = !string.IsNullOrEmpty(cacheHome) && Path.IsPathRooted(cacheHome) ? cacheHome : Path.Combine(home, ".cache");
        Directory.CreateDirectory(cache);
        var folder = cache;
        foreach (var part in new[] { "uqlib", "libtorchsharp", version })
        {
            folder = Path.Combine(folder, part);
            Directory.CreateDirectory(folder, PrivateMode);
            File.SetUnixFileMode(folder, PrivateMode);
        }

        return folder;
    }

    /// <summary>
    /// Writes (or keeps) in <paramref name="folder"/> a copy of <paramref name="original"/> with the one version need marked weak, and
    /// returns its path once its SHA-256 equals that of the original patched in memory: a copy that differs (damaged, replaced, from
    /// another TorchSharp) is written again, atomically, and checked again.
    /// </summary>
    /// <exception cref="IOException">The copy cannot be written, or does not verify after writing.</exception>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    internal static string PatchedCopy(string original, string folder)
    {
        var bytes = File.ReadAllBytes(original);
        ElfVersionNeeds.Weaken(bytes, new HashSet<string>(StringComparer.Ordinal) { MissingVersion });
        var expected = SHA256.HashData(bytes);
        var patched = Path.Combine(folder, "libLibTorchSharp.so");
        if (File.Exists(patched) && SHA256.HashData(File.ReadAllBytes(patched)).AsSpan().SequenceEqual(expected))
        {
            return patched;
        }

        var temporary = patched + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
        }))
        {
            stream.Write(bytes);
        }

        File.Move(temporary, patched, overwrite: true);
        if (!SHA256.HashData(File.ReadAllBytes(patched)).AsSpan().SequenceEqual(expected))
        {
            throw new IOException($"The patched copy {patched} does not match {original} with {MissingVersion} marked weak after writing it; not loading it.");
        }

        return patched;
    }
}
