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
        ulong state = SplitMix64.Gamma; // deterministic keys on every platform
        for (int i = 0; i < Piece.Length; i++) Piece[i] = SplitMix64.Next(ref state);
        for (int i = 0; i < Hand.Length; i++) Hand[i] = i % 19 == 0 ? 0 : SplitMix64.Next(ref state);
        Side = SplitMix64.Next(ref state);
    }
}
