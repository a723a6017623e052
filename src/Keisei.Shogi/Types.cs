using System.Runtime.CompilerServices;

namespace Keisei.Shogi;

/// <summary>The two players: Black (Sente) moves first, White (Gote) second.</summary>
public enum Color : byte
{
    Black = 0,
    White = 1,
}

/// <summary>Piece kinds. Unpromoted P..R are 1..7 (hand order), King 8, promoted = kind | 8.</summary>
public enum PieceType : byte
{
    None = 0,
    Pawn = 1,
    Lance = 2,
    Knight = 3,
    Silver = 4,
    Gold = 5,
    Bishop = 6,
    Rook = 7,
    King = 8,
    ProPawn = 9,
    ProLance = 10,
    ProKnight = 11,
    ProSilver = 12,
    Horse = 14,
    Dragon = 15,
}

/// <summary>Helpers over colours, piece kinds and coloured pieces (kind | colour &lt;&lt; 4).</summary>
public static class Pieces
{
    /// <summary>Number of piece kinds that can be held in hand (P, L, N, S, G, B, R).</summary>
    public const int HandKinds = 7;

    /// <summary>Most pieces of each kind in one set, indexed by <see cref="PieceType"/> (unpromoted).</summary>
    public static ReadOnlySpan<byte> MaxCount => [0, 18, 4, 4, 4, 4, 2, 2, 2];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Color Opponent(this Color c) => (Color)((int)c ^ 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Make(PieceType t, Color c) => (int)t | ((int)c << 4);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PieceType TypeOf(int piece) => (PieceType)(piece & 15);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Color ColorOf(int piece) => (Color)(piece >> 4);

    /// <summary>True for P, L, N, S, B, R: the kinds that may promote.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool CanPromote(PieceType t) => t is >= PieceType.Pawn and <= PieceType.Rook and not PieceType.Gold;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsPromoted(PieceType t) => t > PieceType.King;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PieceType Promote(PieceType t) => t | (PieceType)8;

    /// <summary>The unpromoted kind (what goes to the captor's hand).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PieceType Unpromote(PieceType t) => t == PieceType.King ? t : t & (PieceType)7;

    /// <summary>SFEN letter (uppercase) of an unpromoted kind.</summary>
    public static char Letter(PieceType t) => Unpromote(t) switch
    {
        PieceType.Pawn => 'P',
        PieceType.Lance => 'L',
        PieceType.Knight => 'N',
        PieceType.Silver => 'S',
        PieceType.Gold => 'G',
        PieceType.Bishop => 'B',
        PieceType.Rook => 'R',
        PieceType.King => 'K',
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "not a piece"),
    };

    /// <summary>The unpromoted kind named by an SFEN letter (either case), or None.</summary>
    public static PieceType FromLetter(char ch) => char.ToUpperInvariant(ch) switch
    {
        'P' => PieceType.Pawn,
        'L' => PieceType.Lance,
        'N' => PieceType.Knight,
        'S' => PieceType.Silver,
        'G' => PieceType.Gold,
        'B' => PieceType.Bishop,
        'R' => PieceType.Rook,
        'K' => PieceType.King,
        _ => PieceType.None,
    };
}

/// <summary>
/// Squares are ints 0..80: <c>(file − 1) · 9 + rank</c>, file 1..9, rank 0 (a) .. 8 (i).
/// USI square <c>7g</c> is file 7, rank g.
/// </summary>
public static class Squares
{
    public const int Count = 81;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Of(int file, int rank) => (file - 1) * 9 + rank;

    /// <summary>File 1..9.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int File(int sq) => sq / 9 + 1;

    /// <summary>Rank 0 (a) .. 8 (i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Rank(int sq) => sq % 9;

    /// <summary>Rank counted from the given side: 0 is the far (promotion) edge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RelativeRank(Color c, int sq) => c == Color.Black ? sq % 9 : 8 - sq % 9;

    /// <summary>True when the square is in the promotion zone of the given side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool InZone(Color c, int sq) => RelativeRank(c, sq) <= 2;

    public static string ToUsi(int sq) => string.Create(2, sq, static (span, s) =>
    {
        span[0] = (char)('0' + File(s));
        span[1] = (char)('a' + Rank(s));
    });

    /// <summary>Parses a USI square such as <c>7g</c>; returns −1 when malformed.</summary>
    public static int Parse(ReadOnlySpan<char> text)
    {
        if (text.Length != 2) return -1;
        int file = text[0] - '0', rank = text[1] - 'a';
        return file is >= 1 and <= 9 && rank is >= 0 and <= 8 ? Of(file, rank) : -1;
    }
}
