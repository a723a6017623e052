namespace Keisei.Neural.Native;

/// <summary>What the processor can do that decides how Keisei computes, read once from the operating system.</summary>
public static class CpuFeatures
{
    private static readonly Lazy<IReadOnlySet<string>> Flags = new(ReadFlags);

    /// <summary>
    /// Whether the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX-BF16), where oneDNN's bfloat16 convolutions are
    /// faster than float32 ones. Without it libtorch still runs them, but emulated and slower than float32. False where
    /// the flags cannot be read (not Linux).
    /// </summary>
    public static bool NativeBfloat16 => HasNativeBfloat16(Flags.Value);

    /// <summary>The rule behind <see cref="NativeBfloat16"/> for a set of <c>/proc/cpuinfo</c> flags.</summary>
    public static bool HasNativeBfloat16(IReadOnlySet<string> flags) => flags.Contains("avx512_bf16") || flags.Contains("amx_bf16");

    /// <summary>The flags of the first processor in <c>/proc/cpuinfo</c>'s text.</summary>
    public static IReadOnlySet<string> ParseFlags(string cpuinfo)
    {
        foreach (var line in cpuinfo.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() == "flags")
                return line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        }
        return new HashSet<string>();
    }

    private static IReadOnlySet<string> ReadFlags()
    {
        try
        {
            return OperatingSystem.IsLinux() ? ParseFlags(File.ReadAllText("/proc/cpuinfo")) : new HashSet<string>();
        }
        catch (IOException)
        {
            return new HashSet<string>();
        }
        catch (UnauthorizedAccessException)
        {
            return new HashSet<string>();
        }
    }
}
