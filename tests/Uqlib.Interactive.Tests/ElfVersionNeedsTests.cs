using System;
using System.Collections.Generic;
using System.IO;
using FluentAssertions;
using Uqlib.Build;
using Xunit;

namespace Uqlib.Interactive.Tests;

public sealed class ElfVersionNeedsTests
{
    private static readonly HashSet<string> Glibcxx32 = new(StringComparer.Ordinal) { "GLIBCXX_3.4.32" };

    /// <summary>TorchSharp 0.107's native library as NuGet delivers it (unpatched).</summary>
    internal static byte[] OriginalLibTorchSharp()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return File.ReadAllBytes(Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));
    }

    [Fact]
    public void Weaken_TorchSharpLibrary_MarksTheOneGlibcxx332NeedOnce()
    {
        var elf = OriginalLibTorchSharp();
        var before = (byte[])elf.Clone();

        ElfVersionNeeds.Weaken(elf, Glibcxx32).Should().Be(1);
        ElfVersionNeeds.Weaken(elf, Glibcxx32).Should().Be(0);

        var differing = 0;
        for (var i = 0; i < elf.Length; i++)
        {
            differing += elf[i] != before[i] ? 1 : 0;
        }

        differing.Should().Be(1, "only the flags byte of one vernaux entry changes");
    }

    [Fact]
    public void Weaken_VersionNotNeeded_ChangesNothing()
    {
        var elf = OriginalLibTorchSharp();

        ElfVersionNeeds.Weaken(elf, new HashSet<string> { "GLIBCXX_9.9.99" }).Should().Be(0);
    }

    [Fact]
    public void Weaken_NotAnElfFile_Throws()
    {
        var act = () => ElfVersionNeeds.Weaken(new byte[100], Glibcxx32);

        act.Should().Throw<InvalidDataException>().WithMessage("not an ELF file");
    }

    [Fact]
    public void Weaken_32BitElf_Throws()
    {
        var elf = new byte[100];
        elf[0] = 0x7f;
        elf[1] = (byte)'E';
        elf[2] = (byte)'L';
        elf[3] = (byte)'F';
        elf[4] = 1;
        elf[5] = 1;

        var act = () => ElfVersionNeeds.Weaken(elf, Glibcxx32);

        act.Should().Throw<InvalidDataException>().WithMessage("*64-bit*");
    }
}
