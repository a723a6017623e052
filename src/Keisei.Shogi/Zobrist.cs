namespace Keisei.Shogi;

/// <summary>Fixed pseudo-random keys for hashing board, hands and side to move.</summary>
internal static class Zobrist
{
    /// <summary>Key of coloured piece <c>p</c> (0..31) on square <c>sq</c>: index <c>p · 81 + sq</c>.</summary>
    public static readonly ulong[] Piece = new ulong[32 * 81];

    /// <summary>Key of colour <c>c</c> holding <c>n</c> pieces of kind <c>k</c>: index <c>(c · 8 + k) · 19 + n</c>.</summary>
    public static readonly ulong[] Hand = new ulong[16 * 19];

    public static readonly ulong Side;

    static Zobrist()
    {
        ulong state = 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < Piece.Length; i++) Piece[i] = Next(ref state);
        for (int i = 0; i < Hand.Length; i++) Hand[i] = i % 19 == 0 ? 0 : Next(ref state);
        Side = Next(ref state);
    }

    /// <summary>SplitMix64: deterministic keys on every platform.</summary>
    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
