#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
#if !UQLIB_ELF_PATCH_LIBRARY
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
#endif

namespace Uqlib.Build
{
    /// <summary>
    /// The one implementation of the TorchSharp fix: marks chosen symbol-version needs (ELF <c>vernaux</c> entries) of a 64-bit
    /// little-endian shared library as weak (<c>VER_FLG_WEAK</c>). Shared source: compiled by RoslynCodeTaskFactory (.NET Standard 2.0)
    /// for the build task below, and into Uqlib.Interactive (with <c>UQLIB_ELF_PATCH_LIBRARY</c> defined) for notebooks.
    /// </summary>
    internal static class ElfVersionNeeds
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

        /// <summary>The host's libstdc++.so.6, or <see langword="null"/> when none is found.</summary>
        public static string? HostLibStdCxx()
        {
            foreach (var candidate in LibStdCxxCandidates)
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }

        /// <summary>The versions of <paramref name="versions"/> that the library <paramref name="library"/> does not define.</summary>
        public static HashSet<string> Missing(byte[] library, IEnumerable<string> versions)
        {
            var missing = new HashSet<string>(StringComparer.Ordinal);
            foreach (var version in versions)
            {
                if (IndexOf(library, Encoding.ASCII.GetBytes(version + "\0")) < 0)
                {
                    missing.Add(version);
                }
            }

            return missing;
        }

        /// <summary>Splits a list of versions separated by ';' or ','.</summary>
        public static string[] Split(string versions)
        {
            var parts = versions.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < parts.Length; i++)
            {
                parts[i] = parts[i].Trim();
            }

            return parts;
        }

        /// <summary>
        /// Reads the patch mode: <c>auto</c> (or <c>true</c>, or empty: patch where the host's libstdc++ lacks a version), <c>always</c>
        /// (patch whatever the host has: for an application deployed to an older system than it was built on) or <c>never</c> (or
        /// <c>false</c>); case-insensitive. Returns <see langword="null"/> for anything else.
        /// </summary>
        public static string? Mode(string? value)
        {
            switch ((value ?? string.Empty).Trim().ToLowerInvariant())
            {
                case "":
                case "auto":
                case "true":
                    return "auto";
                case "always":
                    return "always";
                case "never":
                case "false":
                    return "never";
                default:
                    return null;
            }
        }

        /// <summary>Sets the weak flag on every need of one of <paramref name="versions"/> in the ELF image; returns how many changed.</summary>
        /// <exception cref="InvalidDataException">The bytes are not a 64-bit little-endian ELF file.</exception>
        public static int Weaken(byte[] elf, ICollection<string> versions)
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

                var need = checked((int)BitConverter.ToUInt64(elf, header + 24));
                var link = (int)BitConverter.ToUInt32(elf, header + 40);
                var entries = (int)BitConverter.ToUInt32(elf, header + 44);
                var strings = checked((int)BitConverter.ToUInt64(elf, sectionOffset + (link * sectionSize) + 24));
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
            var end = Array.IndexOf(bytes, (byte)0, start);
            return Encoding.ASCII.GetString(bytes, start, (end < 0 ? bytes.Length : end) - start);
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
}

#if !UQLIB_ELF_PATCH_LIBRARY
/// <summary>
/// The build task of the Uqlib package: replaces each of <see cref="Files"/> by a copy whose needs of <see cref="Versions"/> are weak
/// (so a hard link into the NuGet cache is never modified), as <see cref="Mode"/> says: <c>auto</c> only for the versions the build
/// host's libstdc++ lacks, <c>always</c> for all of them, <c>never</c> not at all.
/// </summary>
public sealed class UqlibWeakenElfVersionNeeds : Task
{
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    [Required]
    public string Versions { get; set; } = string.Empty;

    public string Mode { get; set; } = "auto";

    public override bool Execute()
    {
        var mode = Uqlib.Build.ElfVersionNeeds.Mode(Mode);
        if (mode is null)
        {
            Log.LogError("Uqlib: UqlibPatchLibTorchSharp must be auto, always or never (true means auto, false means never); found '{0}'.", Mode);
            return false;
        }

        var versions = Uqlib.Build.ElfVersionNeeds.Split(Versions);
        if (mode == "never" || versions.Length == 0)
        {
            return true;
        }

        HashSet<string> weaken;
        string reason;
        if (mode == "always")
        {
            weaken = new HashSet<string>(versions, StringComparer.Ordinal);
            reason = "UqlibPatchLibTorchSharp is always";
        }
        else
        {
            var host = Uqlib.Build.ElfVersionNeeds.HostLibStdCxx();
            if (host is null)
            {
                Log.LogMessage(MessageImportance.Low, "Uqlib: no libstdc++.so.6 found on this host; nothing to patch.");
                return true;
            }

            weaken = Uqlib.Build.ElfVersionNeeds.Missing(File.ReadAllBytes(host), versions);
            reason = host + " lacks them";
            if (weaken.Count == 0)
            {
                Log.LogMessage(MessageImportance.Low, "Uqlib: {0} provides {1}; nothing to patch.", host, Versions);
                return true;
            }
        }

        foreach (var item in Files)
        {
            var path = item.GetMetadata("FullPath");
            try
            {
                var bytes = File.ReadAllBytes(path);
                var changed = Uqlib.Build.ElfVersionNeeds.Weaken(bytes, weaken);
                if (changed > 0)
                {
                    var temporary = path + ".uqlib-tmp";
                    File.WriteAllBytes(temporary, bytes);
                    File.Delete(path);
                    File.Move(temporary, path);
                    Log.LogMessage(MessageImportance.High,
                        "Uqlib: marked {0} version need(s) ({1}) as weak in {2} ({3}).", changed, string.Join(", ", weaken), path, reason);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                Log.LogError("Uqlib: could not patch {0}: {1}", path, exception.Message);
            }
        }

        return !Log.HasLoggedErrors;
    }
}
#endif
