using System;
using System.IO;
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
}
