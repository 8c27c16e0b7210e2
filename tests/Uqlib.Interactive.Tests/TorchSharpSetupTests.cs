using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using FluentAssertions;
using Uqlib.Build;
using Xunit;

namespace Uqlib.Interactive.Tests;

public sealed class TorchSharpSetupTests
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public void Prepare_InAnApplicationOutputFolder_DoesNothingAndSaysWhy()
    {
        // The test host is an application: its build placed a (patched, where needed) libLibTorchSharp.so beside TorchSharp.dll.
        var outcome = TorchSharpSetup.Prepare();

        outcome.Should().StartWith("TorchSharp setup: ").And.Contain("nothing to do");
        TorchSharpSetup.Prepare().Should().Be(outcome);
    }

    [Fact]
    public void PrivateDirectory_UnderAnAbsoluteXdgCacheHome_IsCreatedForTheUserOnly()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // Unix file modes and ELF files
        }

        using var root = new TemporaryFolder();
        var cache = Path.Combine(root.Path, "cache");

        var folder = TorchSharpSetup.PrivateDirectory("0.107.0", cache, Path.Combine(root.Path, "home"));

        folder.Should().Be(Path.Combine(cache, "uqlib", "libtorchsharp", "0.107.0"));
        foreach (var path in new[] { Path.Combine(cache, "uqlib"), Path.Combine(cache, "uqlib", "libtorchsharp"), folder })
        {
            File.GetUnixFileMode(path).Should().Be(Private, "{0} must be private to its user", path);
        }
    }

    [Fact]
    public void PrivateDirectory_RelativeXdgCacheHome_FallsBackToHomeCache()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // Unix file modes and ELF files
        }

        using var root = new TemporaryFolder();

        var folder = TorchSharpSetup.PrivateDirectory("0.107.0", "relative/cache", root.Path);

        folder.Should().Be(Path.Combine(root.Path, ".cache", "uqlib", "libtorchsharp", "0.107.0"));
    }

    [Fact]
    public void PrivateDirectory_OpenedUpByAnyone_IsMadePrivateAgain()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // Unix file modes and ELF files
        }

        using var root = new TemporaryFolder();
        var uqlib = Path.Combine(root.Path, "uqlib");
        Directory.CreateDirectory(uqlib);
        File.SetUnixFileMode(uqlib, (UnixFileMode)0x1FF);

        TorchSharpSetup.PrivateDirectory("0.107.0", root.Path, root.Path);

        File.GetUnixFileMode(uqlib).Should().Be(Private);
    }

    [Fact]
    public void PatchedCopy_FreshAndReplacedCopies_VerifyAgainstTheOriginalPatched()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // Unix file modes and ELF files
        }

        using var root = new TemporaryFolder();
        var original = Path.Combine(root.Path, "original.so");
        File.WriteAllBytes(original, ElfVersionNeedsTests.OriginalLibTorchSharp());
        var expected = File.ReadAllBytes(original);
        ElfVersionNeeds.Weaken(expected, new HashSet<string> { "GLIBCXX_3.4.32" }).Should().Be(1);
        var folder = TorchSharpSetup.PrivateDirectory("test", root.Path, root.Path);

        var patched = TorchSharpSetup.PatchedCopy(original, folder);
        File.ReadAllBytes(patched).Should().Equal(expected);
        File.GetUnixFileMode(patched).Should().Be(Private);

        // Someone (or something) replaced the copy: it is written again, not loaded as found.
        File.WriteAllBytes(patched, new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3 });
        TorchSharpSetup.PatchedCopy(original, folder).Should().Be(patched);
        SHA256.HashData(File.ReadAllBytes(patched)).Should().Equal(SHA256.HashData(expected));
        File.ReadAllBytes(original).Should().NotEqual(expected, "the original is never modified");
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("uqlib-setup-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
