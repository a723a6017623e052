namespace Keisei.Shogi;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood): the one small mixer behind Zobrist keys, generator seeding and per-game seeds —
/// the same numbers on every platform and in every process.
/// </summary>
public static class SplitMix64
{
    /// <summary>The golden-ratio step between successive states.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>Advances <paramref name="state"/> by <see cref="Gamma"/> and returns the mix of the new state.</summary>
    public static ulong Next(ref ulong state) => Mix(state += Gamma);

    /// <summary>SplitMix64's output function: a bijection of 64-bit words with good avalanche.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
