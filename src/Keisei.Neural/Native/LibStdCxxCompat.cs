// Shared by the Keisei.Neural library (which reports the state in `keisei doctor`) and by the build, which compiles
// this file as an inline MSBuild task (build/LibTorchSharpFix.targets). It therefore targets netstandard2.0 and uses
// nothing newer than that.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace Keisei.Neural.Native
{
    /// <summary>
    /// The GLIBCXX_3.4.32 compatibility fix for TorchSharp's libLibTorchSharp.so on hosts whose libstdc++ is older
    /// than GCC 13: the library lists that version for one symbol it never calls; marking the requirement weak
    /// (VER_FLG_WEAK in its .gnu.version_r entry) lets the loader accept the host's libstdc++.
    /// </summary>
    public static class LibStdCxxCompat
    {
        /// <summary>The native library that carries the requirement.</summary>
        public const string LibraryName = "libLibTorchSharp.so";

        /// <summary>The symbol version it requires but does not really need.</summary>
        public const string RequiredVersion = "GLIBCXX_3.4.32";

        private const ushort WeakFlag = 0x2;
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;

        private static readonly string[] LibStdCxxDirectories =
        {
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64", "/lib64", "/usr/lib", "/lib",
        };

        /// <summary>State of the requirement in one copy of the library.</summary>
        public enum RequirementState
        {
            /// <summary>The library does not require the version (another TorchSharp build, or not an ELF file).</summary>
            Absent,

            /// <summary>The library requires it strictly: loading fails where libstdc++ lacks it.</summary>
            Strict,

            /// <summary>The requirement is weak: the build applied the fix.</summary>
            Weak,
        }

        /// <summary>Path of the libstdc++.so.6 the loader would most likely use, or null.</summary>
        public static string? FindHostLibStdCxx()
        {
            var dirs = new List<string>();
            string? ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ld)) dirs.AddRange(ld!.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
            dirs.AddRange(LibStdCxxDirectories);
            foreach (string dir in dirs)
            {
                string path = Path.Combine(dir, "libstdc++.so.6");
                if (File.Exists(path)) return path;
            }
            return null;
        }

        /// <summary>Symbol versions a shared library defines (for libstdc++: GLIBCXX_3.4, ..., GLIBCXX_3.4.30, ...).</summary>
        public static List<string> DefinedVersions(string path)
        {
            var result = new List<string>();
            byte[] elf = File.ReadAllBytes(path);
            if (!TryFindSection(elf, ShtGnuVerdef, out long offset, out int count, out long strtab)) return result;
            long entry = offset;
            for (int i = 0; i < count; i++)
            {
                // Elf64_Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32
                uint aux = U32(elf, entry + 12);
                uint next = U32(elf, entry + 16);
                // Elf64_Verdaux: vda_name u32, vda_next u32 (the first aux names the version itself)
                result.Add(CString(elf, strtab + U32(elf, entry + aux)));
                if (next == 0) break;
                entry += next;
            }
            return result;
        }

        /// <summary>True when the host's libstdc++ defines <see cref="RequiredVersion"/>; false when it does not or cannot be found.</summary>
        public static bool HostProvidesRequiredVersion(out string? libStdCxxPath)
        {
            libStdCxxPath = FindHostLibStdCxx();
            return libStdCxxPath != null && DefinedVersions(libStdCxxPath).Contains(RequiredVersion);
        }

        /// <summary>Whether a copy of the library requires <see cref="RequiredVersion"/>, strictly or weakly.</summary>
        public static RequirementState Inspect(string libraryPath)
        {
            byte[] elf = File.ReadAllBytes(libraryPath);
            long flags = FindRequirementFlags(elf);
            if (flags < 0) return RequirementState.Absent;
            return (U16(elf, flags) & WeakFlag) != 0 ? RequirementState.Weak : RequirementState.Strict;
        }

        /// <summary>
        /// Marks the requirement weak in this copy of the library. The file is replaced by rename (never written in
        /// place, so a hard-linked package cache stays untouched) and keeps its timestamps. Returns true if it changed.
        /// </summary>
        public static bool MakeRequirementWeak(string libraryPath)
        {
            byte[] elf = File.ReadAllBytes(libraryPath);
            long flags = FindRequirementFlags(elf);
            if (flags < 0 || (U16(elf, flags) & WeakFlag) != 0) return false;
            ushort value = (ushort)(U16(elf, flags) | WeakFlag);

            DateTime written = File.GetLastWriteTimeUtc(libraryPath);
            string temp = libraryPath + ".keisei-tmp";
            File.Copy(libraryPath, temp, true); // keeps the file mode
            using (var stream = new FileStream(temp, FileMode.Open, FileAccess.Write))
            {
                stream.Position = flags;
                stream.WriteByte((byte)value);
                stream.WriteByte((byte)(value >> 8));
                stream.Flush(true);
            }
            File.SetLastWriteTimeUtc(temp, written);
            File.Delete(libraryPath);
            File.Move(temp, libraryPath);
            return true;
        }

        /// <summary>File offset of the vna_flags field of the GLIBCXX_3.4.32 requirement, or −1.</summary>
        private static long FindRequirementFlags(byte[] elf)
        {
            if (!TryFindSection(elf, ShtGnuVerneed, out long offset, out int count, out long strtab)) return -1;
            long need = offset;
            for (int i = 0; i < count; i++)
            {
                // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
                int auxCount = U16(elf, need + 2);
                long aux = need + U32(elf, need + 8);
                for (int j = 0; j < auxCount; j++)
                {
                    // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                    if (CString(elf, strtab + U32(elf, aux + 8)) == RequiredVersion) return aux + 4;
                    uint nextAux = U32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(elf, need + 12);
                if (next == 0) break;
                need += next;
            }
            return -1;
        }

        /// <summary>Finds a section of a 64-bit little-endian ELF file by type: its offset, entry count (sh_info) and linked string table.</summary>
        private static bool TryFindSection(byte[] elf, uint type, out long offset, out int count, out long strtab)
        {
            offset = 0;
            count = 0;
            strtab = 0;
            bool isElf64Le = elf.Length > 64 && elf[0] == 0x7f && elf[1] == (byte)'E' && elf[2] == (byte)'L' && elf[3] == (byte)'F'
                             && elf[4] == 2 && elf[5] == 1;
            if (!isElf64Le) return false;
            long shoff = (long)U64(elf, 0x28);
            int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
            for (int i = 0; i < shnum; i++)
            {
                long header = shoff + (long)i * shentsize;
                if (header + 64 > elf.Length) return false;
                if (U32(elf, header + 4) != type) continue;
                offset = (long)U64(elf, header + 24);
                uint link = U32(elf, header + 40);
                count = (int)U32(elf, header + 44);
                strtab = (long)U64(elf, shoff + (long)link * shentsize + 24);
                return true;
            }
            return false;
        }

        private static ushort U16(byte[] b, long at) => BitConverter.ToUInt16(b, checked((int)at));
        private static uint U32(byte[] b, long at) => BitConverter.ToUInt32(b, checked((int)at));
        private static ulong U64(byte[] b, long at) => BitConverter.ToUInt64(b, checked((int)at));

        private static string CString(byte[] b, long at)
        {
            int start = checked((int)at), end = start;
            while (end < b.Length && b[end] != 0) end++;
            return System.Text.Encoding.ASCII.GetString(b, start, end - start);
        }
    }

#if !KEISEI_NEURAL
    /// <summary>MSBuild task: applies the fix to every copy of the library under the output directory, only where needed.</summary>
    public sealed class FixLibTorchSharpGlibcxx : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required]
        public string OutputDirectory { get; set; } = "";

        public override bool Execute()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || !Directory.Exists(OutputDirectory)) return true;
            string[] copies = Directory.GetFiles(OutputDirectory, LibStdCxxCompat.LibraryName, SearchOption.AllDirectories);
            if (copies.Length == 0) return true;
            if (LibStdCxxCompat.HostProvidesRequiredVersion(out string? host))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                    "{0} provides {1}; {2} left as shipped.", host, LibStdCxxCompat.RequiredVersion, LibStdCxxCompat.LibraryName);
                return true;
            }
            foreach (string copy in copies)
            {
                if (LibStdCxxCompat.MakeRequirementWeak(copy))
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        "keisei: {0} lacks {1}; marked that requirement weak in {2}", host ?? "libstdc++ (not found)",
                        LibStdCxxCompat.RequiredVersion, copy);
            }
            return true;
        }
    }
#endif
}
