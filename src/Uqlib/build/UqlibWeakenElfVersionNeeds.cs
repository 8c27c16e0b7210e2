#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks chosen symbol-version needs (ELF <c>vernaux</c> entries) of shared libraries as weak (<c>VER_FLG_WEAK</c>),
/// only for the versions the host's libstdc++ lacks. The file is replaced by a patched copy, so a hard link into the
/// NuGet cache is never modified. Compiled by RoslynCodeTaskFactory against .NET Standard 2.0.
/// </summary>
public sealed class UqlibWeakenElfVersionNeeds : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    private static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    [Required]
    public string Versions { get; set; } = string.Empty;

    public override bool Execute()
    {
        string? host = null;
        foreach (var candidate in LibStdCxxCandidates)
        {
            if (File.Exists(candidate))
            {
                host = candidate;
                break;
            }
        }

        if (host is null)
        {
            Log.LogMessage(MessageImportance.Low, "Uqlib: no libstdc++.so.6 found on this host; nothing to patch.");
            return true;
        }

        var hostBytes = File.ReadAllBytes(host);
        var missing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var version in Versions.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries))
        {
            var name = version.Trim();
            if (IndexOf(hostBytes, Encoding.ASCII.GetBytes(name + "\0")) < 0)
            {
                missing.Add(name);
            }
        }

        if (missing.Count == 0)
        {
            Log.LogMessage(MessageImportance.Low, "Uqlib: {0} provides {1}; nothing to patch.", host, Versions);
            return true;
        }

        foreach (var item in Files)
        {
            var path = item.GetMetadata("FullPath");
            try
            {
                var bytes = File.ReadAllBytes(path);
                var changed = Weaken(bytes, missing);
                if (changed > 0)
                {
                    var temporary = path + ".uqlib-tmp";
                    File.WriteAllBytes(temporary, bytes);
                    File.Delete(path);
                    File.Move(temporary, path);
                    Log.LogMessage(MessageImportance.High,
                        "Uqlib: marked {0} version need(s) ({1}) as weak in {2}, which {3} lacks.",
                        changed, string.Join(", ", missing), path, host);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                Log.LogError("Uqlib: could not patch {0}: {1}", path, exception.Message);
            }
        }

        return !Log.HasLoggedErrors;
    }

    private static int Weaken(byte[] elf, HashSet<string> versions)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
        {
            throw new InvalidDataException("not an ELF file");
        }

        if (elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("only little-endian 64-bit ELF files are supported");
        }

        var sectionOffset = checked((int)BitConverter.ToUInt64(elf, 0x28));
        int sectionSize = BitConverter.ToUInt16(elf, 0x3A);
        int sectionCount = BitConverter.ToUInt16(elf, 0x3C);
        var changed = 0;
        for (var s = 0; s < sectionCount; s++)
        {
            var header = sectionOffset + (s * sectionSize);
            if (BitConverter.ToUInt32(elf, header + 4) != ShtGnuVerneed)
            {
                continue;
            }

            var offset = checked((int)BitConverter.ToUInt64(elf, header + 24));
            var link = (int)BitConverter.ToUInt32(elf, header + 40);
            var entries = (int)BitConverter.ToUInt32(elf, header + 44);
            var strings = checked((int)BitConverter.ToUInt64(elf, sectionOffset + (link * sectionSize) + 24));

            var need = offset;
            for (var n = 0; n < entries; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, need + 2);
                var aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    var name = ReadString(elf, strings + (int)BitConverter.ToUInt32(elf, aux + 8));
                    var flags = BitConverter.ToUInt16(elf, aux + 4);
                    if (versions.Contains(name) && (flags & VerFlgWeak) == 0)
                    {
                        var weak = (ushort)(flags | VerFlgWeak);
                        elf[aux + 4] = (byte)(weak & 0xff);
                        elf[aux + 5] = (byte)(weak >> 8);
                        changed++;
                    }

                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }

                need += (int)BitConverter.ToUInt32(elf, need + 12);
            }
        }

        return changed;
    }

    private static string ReadString(byte[] bytes, int start)
    {
        var end = start;
        while (end < bytes.Length && bytes[end] != 0)
        {
            end++;
        }

        return Encoding.ASCII.GetString(bytes, start, end - start);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
        {
            var j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j])
            {
                j++;
            }

            if (j == needle.Length)
            {
                return i;
            }
        }

        return -1;
    }
}
