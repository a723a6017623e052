using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Keisei.Shogi;

/// <summary>Precomputed attack sets: step pieces by table, sliders by bit-extract (PEXT) lookup per line.</summary>
public static class Attacks
{
    private const int FileLine = 0, RankLine = 1, Diag1Line = 2, Diag2Line = 3;

    private static readonly Bitboard[] PawnTable = new Bitboard[2 * 81];
    private static readonly Bitboard[] KnightTable = new Bitboard[2 * 81];
    private static readonly Bitboard[] SilverTable = new Bitboard[2 * 81];
    private static readonly Bitboard[] GoldTable = new Bitboard[2 * 81];
    private static readonly Bitboard[] KingTable = new Bitboard[81];
    private static readonly Bitboard[] ForwardTable = new Bitboard[2 * 81];
    private static readonly Bitboard[] RookEmptyTable = new Bitboard[81];
    private static readonly Bitboard[] BishopEmptyTable = new Bitboard[81];
    private static readonly Bitboard[] BetweenTable = new Bitboard[81 * 81];
    private static readonly Bitboard[] LineTable = new Bitboard[81 * 81];
    private static readonly Bitboard[] FileTable = new Bitboard[10];
    private static readonly Bitboard[] RankTable = new Bitboard[9];

    private static readonly LineEntry[] LineEntries = new LineEntry[4 * 81];
    private static readonly Bitboard[] SliderTable;

    private struct LineEntry
    {
        public Bitboard Mask;
        public int LoBits;
        public int Offset;
    }

    private static readonly (int Df, int Dr)[][] LineDirections =
    [
        [(0, -1), (0, 1)],
        [(-1, 0), (1, 0)],
        [(1, 1), (-1, -1)],
        [(1, -1), (-1, 1)],
    ];

    static Attacks()
    {
        for (int sq = 0; sq < 81; sq++)
        {
            for (int c = 0; c < 2; c++)
            {
                int fwd = c == 0 ? -1 : 1;
                PawnTable[c * 81 + sq] = Steps(sq, [(0, fwd)]);
                KnightTable[c * 81 + sq] = Steps(sq, [(-1, 2 * fwd), (1, 2 * fwd)]);
                SilverTable[c * 81 + sq] = Steps(sq, [(-1, fwd), (0, fwd), (1, fwd), (-1, -fwd), (1, -fwd)]);
                GoldTable[c * 81 + sq] = Steps(sq, [(-1, fwd), (0, fwd), (1, fwd), (-1, 0), (1, 0), (0, -fwd)]);
                ForwardTable[c * 81 + sq] = Ray(sq, 0, fwd, Bitboard.Empty);
            }
            KingTable[sq] = Steps(sq, [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)]);
            RookEmptyTable[sq] = Ray(sq, 0, -1, default) | Ray(sq, 0, 1, default) | Ray(sq, -1, 0, default) | Ray(sq, 1, 0, default);
            BishopEmptyTable[sq] = Ray(sq, 1, 1, default) | Ray(sq, -1, -1, default) | Ray(sq, 1, -1, default) | Ray(sq, -1, 1, default);
            FileTable[Squares.File(sq)] |= Bitboard.FromSquare(sq);
            RankTable[Squares.Rank(sq)] |= Bitboard.FromSquare(sq);
        }

        int total = 0;
        for (int line = 0; line < 4; line++)
        {
            for (int sq = 0; sq < 81; sq++)
            {
                var mask = Bitboard.Empty;
                foreach (var (df, dr) in LineDirections[line])
                {
                    var ray = Ray(sq, df, dr, Bitboard.Empty);
                    // The last square of a ray never blocks anything beyond it.
                    int f = Squares.File(sq) + df, r = Squares.Rank(sq) + dr;
                    while (OnBoard(f + df, r + dr)) { f += df; r += dr; }
                    if (OnBoard(f, r)) ray ^= Bitboard.FromSquare(Squares.Of(f, r));
                    mask |= ray;
                }
                LineEntries[line * 81 + sq] = new LineEntry { Mask = mask, LoBits = BitOperations.PopCount(mask.Lo), Offset = total };
                total += 1 << mask.Count;
            }
        }

        SliderTable = new Bitboard[total];
        for (int line = 0; line < 4; line++)
        {
            for (int sq = 0; sq < 81; sq++)
            {
                var e = LineEntries[line * 81 + sq];
                var squares = new List<int>();
                for (var m = e.Mask; m.Any;) squares.Add(m.Pop());
                for (int idx = 0; idx < 1 << squares.Count; idx++)
                {
                    var occ = Bitboard.Empty;
                    for (int j = 0; j < squares.Count; j++)
                        if ((idx >> j & 1) != 0) occ |= Bitboard.FromSquare(squares[j]);
                    var att = Bitboard.Empty;
                    foreach (var (df, dr) in LineDirections[line]) att |= Ray(sq, df, dr, occ);
                    SliderTable[e.Offset + idx] = att;
                }
            }
        }

        for (int a = 0; a < 81; a++)
        {
            for (int b = 0; b < 81; b++)
            {
                if (a == b) continue;
                int df = Math.Sign(Squares.File(b) - Squares.File(a)), dr = Math.Sign(Squares.Rank(b) - Squares.Rank(a));
                int adf = Math.Abs(Squares.File(b) - Squares.File(a)), adr = Math.Abs(Squares.Rank(b) - Squares.Rank(a));
                if (adf != 0 && adr != 0 && adf != adr) continue;
                var between = Bitboard.Empty;
                for (int f = Squares.File(a) + df, r = Squares.Rank(a) + dr; Squares.Of(f, r) != b; f += df, r += dr)
                    between |= Bitboard.FromSquare(Squares.Of(f, r));
                BetweenTable[a * 81 + b] = between;
                LineTable[a * 81 + b] = Ray(a, df, dr, default) | Ray(a, -df, -dr, default) | Bitboard.FromSquare(a);
            }
        }
    }

    private static bool OnBoard(int file, int rank) => file is >= 1 and <= 9 && rank is >= 0 and <= 8;

    private static Bitboard Steps(int sq, (int Df, int Dr)[] steps)
    {
        var bb = Bitboard.Empty;
        foreach (var (df, dr) in steps)
        {
            int f = Squares.File(sq) + df, r = Squares.Rank(sq) + dr;
            if (OnBoard(f, r)) bb |= Bitboard.FromSquare(Squares.Of(f, r));
        }
        return bb;
    }

    /// <summary>Squares along one direction up to and including the first occupied one.</summary>
    private static Bitboard Ray(int sq, int df, int dr, Bitboard occ)
    {
        var bb = Bitboard.Empty;
        for (int f = Squares.File(sq) + df, r = Squares.Rank(sq) + dr; OnBoard(f, r); f += df, r += dr)
        {
            int s = Squares.Of(f, r);
            bb |= Bitboard.FromSquare(s);
            if (occ.Contains(s)) break;
        }
        return bb;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref Bitboard At(Bitboard[] table, int index) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(table), index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Pext(ulong value, ulong mask)
    {
        if (Bmi2.X64.IsSupported) return Bmi2.X64.ParallelBitExtract(value, mask);
        ulong result = 0;
        for (ulong bit = 1; mask != 0; mask &= mask - 1, bit <<= 1)
            if ((value & mask & (0 - mask)) != 0) result |= bit;
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Bitboard LineAttack(int line, int sq, in Bitboard occ)
    {
        ref var e = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(LineEntries), line * 81 + sq);
        int idx = (int)(Pext(occ.Lo, e.Mask.Lo) | Pext(occ.Hi, e.Mask.Hi) << e.LoBits);
        return At(SliderTable, e.Offset + idx);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Pawn(Color c, int sq) => At(PawnTable, (int)c * 81 + sq);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Knight(Color c, int sq) => At(KnightTable, (int)c * 81 + sq);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Silver(Color c, int sq) => At(SilverTable, (int)c * 81 + sq);

    /// <summary>Gold moves, also those of +P, +L, +N, +S.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Gold(Color c, int sq) => At(GoldTable, (int)c * 81 + sq);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard King(int sq) => At(KingTable, sq);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Lance(Color c, int sq, in Bitboard occ) => LineAttack(FileLine, sq, occ) & At(ForwardTable, (int)c * 81 + sq);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Rook(int sq, in Bitboard occ) => LineAttack(FileLine, sq, occ) | LineAttack(RankLine, sq, occ);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Bishop(int sq, in Bitboard occ) => LineAttack(Diag1Line, sq, occ) | LineAttack(Diag2Line, sq, occ);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Dragon(int sq, in Bitboard occ) => Rook(sq, occ) | King(sq);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Horse(int sq, in Bitboard occ) => Bishop(sq, occ) | King(sq);

    /// <summary>Squares straight ahead of <paramref name="sq"/> from <paramref name="c"/>'s side, to the edge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Forward(Color c, int sq) => At(ForwardTable, (int)c * 81 + sq);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard RookOnEmpty(int sq) => At(RookEmptyTable, sq);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard BishopOnEmpty(int sq) => At(BishopEmptyTable, sq);

    /// <summary>Squares strictly between two squares on a rank, file or diagonal; empty otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Between(int a, int b) => At(BetweenTable, a * 81 + b);

    /// <summary>The whole board line through two aligned squares; empty if they are not aligned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard Line(int a, int b) => At(LineTable, a * 81 + b);

    /// <summary>All squares of file 1..9.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard FileMask(int file) => At(FileTable, file);

    /// <summary>All squares of rank 0 (a) .. 8 (i).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bitboard RankMask(int rank) => At(RankTable, rank);

    /// <summary>What a piece of this kind and colour on <paramref name="sq"/> attacks given the occupancy.</summary>
    public static Bitboard Of(PieceType t, Color c, int sq, in Bitboard occ) => t switch
    {
        PieceType.Pawn => Pawn(c, sq),
        PieceType.Lance => Lance(c, sq, occ),
        PieceType.Knight => Knight(c, sq),
        PieceType.Silver => Silver(c, sq),
        PieceType.Gold or PieceType.ProPawn or PieceType.ProLance or PieceType.ProKnight or PieceType.ProSilver => Gold(c, sq),
        PieceType.Bishop => Bishop(sq, occ),
        PieceType.Rook => Rook(sq, occ),
        PieceType.King => King(sq),
        PieceType.Horse => Horse(sq, occ),
        PieceType.Dragon => Dragon(sq, occ),
        _ => Bitboard.Empty,
    };
}
