using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Uqlib.Interactive;

/// <summary>Marks chosen symbol-version needs (ELF <c>vernaux</c> entries) of a 64-bit little-endian shared library as weak.</summary>
/// <remarks>The same rule as the build-time fix of the Uqlib package (src/Uqlib/build/UqlibWeakenElfVersionNeeds.cs), applied at run time to a copy.</remarks>
internal static class ElfVersionNeeds
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Sets the weak flag on every need of one of <paramref name="versions"/> in the ELF image; returns how many changed.</summary>
    public static int Weaken(byte[] elf, IReadOnlySet<string> versions)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
        {
            throw new InvalidDataException("not an ELF file");
        }

        if (elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("only little-endian 64-bit ELF files are supported");
        }

        var span = elf.AsSpan();
        var sectionOffset = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]));
        int sectionSize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        var changed = 0;
        for (var s = 0; s < sectionCount; s++)
        {
            var header = sectionOffset + (s * sectionSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(span[(header + 4)..]) != ShtGnuVerneed)
            {
                continue;
            }

            var need = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(span[(header + 24)..]));
            var link = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(header + 40)..]);
            var entries = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(header + 44)..]);
            var strings = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(span[(sectionOffset + (link * sectionSize) + 24)..]));
            for (var n = 0; n < entries; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(need + 2)..]);
                var aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 8)..]);
                for (var a = 0; a < auxCount; a++)
                {
                    var name = ReadString(elf, strings + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 8)..]));
                    var flags = BinaryPrimitives.ReadUInt16LittleEndian(span[(aux + 4)..]);
                    if (versions.Contains(name) && (flags & VerFlgWeak) == 0)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(span[(aux + 4)..], (ushort)(flags | VerFlgWeak));
                        changed++;
                    }

                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 12)..]);
                }

                need += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 12)..]);
            }
        }

        return changed;
    }

    private static string ReadString(byte[] bytes, int start)
    {
        var end = Array.IndexOf(bytes, (byte)0, start);
        return Encoding.ASCII.GetString(bytes, start, (end < 0 ? bytes.Length : end) - start);
    }
}
