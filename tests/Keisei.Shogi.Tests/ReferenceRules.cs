namespace Keisei.Shogi.Tests;

/// <summary>
/// A slow, deliberately naive reference implementation of the shogi move rules, used to check the engine's
/// bitboard move generator. It reads a <see cref="Position"/> only through <see cref="Position.PieceOn"/>,
/// <see cref="Position.HandCount"/> and <see cref="Position.SideToMove"/>, copies it into a plain mailbox
/// (files 1..9 × ranks 0..8) and from then on uses none of the engine's code: no bitboards, no attack tables,
/// no pins, no check bookkeeping, no make/unmake. Every move is played on a copy of the mailbox and judged by
/// walking every enemy piece's moves to see whether one of them reaches our king.
/// </summary>
public static class ReferenceRules
{
    // Piece codes, same numbering as the engine (kind | colour << 4), spelled out here so nothing is shared.
    private const int Pawn = 1, Lance = 2, Knight = 3, Silver = 4, Gold = 5, Bishop = 6, Rook = 7, King = 8;
    private const int ProPawn = 9, ProLance = 10, ProKnight = 11, ProSilver = 12, Horse = 14, Dragon = 15;
    private const int BlackSide = 0, WhiteSide = 1;

    /// <summary>A step or ray direction: df = file change, dr = rank change, written for BLACK (rank a is "forward", dr = −1).</summary>
    private readonly record struct Dir(int Df, int Dr);

    private static readonly Dir[] PawnSteps = [new(0, -1)];
    private static readonly Dir[] KnightJumps = [new(-1, -2), new(1, -2)];
    private static readonly Dir[] SilverSteps = [new(0, -1), new(-1, -1), new(1, -1), new(-1, 1), new(1, 1)];
    private static readonly Dir[] GoldSteps = [new(0, -1), new(-1, -1), new(1, -1), new(-1, 0), new(1, 0), new(0, 1)];
    private static readonly Dir[] KingSteps = [new(0, -1), new(-1, -1), new(1, -1), new(-1, 0), new(1, 0), new(-1, 1), new(0, 1), new(1, 1)];
    private static readonly Dir[] OrthogonalSteps = [new(0, -1), new(0, 1), new(-1, 0), new(1, 0)];
    private static readonly Dir[] DiagonalSteps = [new(-1, -1), new(1, -1), new(-1, 1), new(1, 1)];
    private static readonly Dir[] LanceRays = [new(0, -1)];
    private static readonly Dir[] BishopRays = DiagonalSteps;
    private static readonly Dir[] RookRays = OrthogonalSteps;
    private static readonly Dir[] None = [];

    /// <summary>One-square moves (including the knight's jump) of an unflipped (Black) piece kind.</summary>
    private static Dir[] StepsOf(int kind) => kind switch
    {
        Pawn => PawnSteps,
        Lance => None,
        Knight => KnightJumps,
        Silver => SilverSteps,
        Gold or ProPawn or ProLance or ProKnight or ProSilver => GoldSteps,
        Bishop => None,
        Rook => None,
        King => KingSteps,
        Horse => OrthogonalSteps,
        Dragon => DiagonalSteps,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a piece kind"),
    };

    /// <summary>Sliding directions (any distance until blocked) of an unflipped (Black) piece kind.</summary>
    private static Dir[] RaysOf(int kind) => kind switch
    {
        Lance => LanceRays,
        Bishop or Horse => BishopRays,
        Rook or Dragon => RookRays,
        _ => None,
    };

    /// <summary>A plain copy of a position: board[file, rank] (file 1..9, rank 0..8), hands[colour, kind], side to move.</summary>
    public sealed class Board
    {
        public readonly int[,] Cells = new int[10, 9];
        public readonly int[,] Hands = new int[2, 8];
        public int Side;

        public static Board From(Position p)
        {
            var b = new Board { Side = p.SideToMove == Color.Black ? BlackSide : WhiteSide };
            for (int file = 1; file <= 9; file++)
                for (int rank = 0; rank < 9; rank++)
                    b.Cells[file, rank] = p.PieceOn((file - 1) * 9 + rank);
            for (int c = 0; c < 2; c++)
                for (int kind = Pawn; kind <= Rook; kind++)
                    b.Hands[c, kind] = p.HandCount((Color)c, (PieceType)kind);
            return b;
        }

        public Board Copy()
        {
            var b = new Board { Side = Side };
            Array.Copy(Cells, b.Cells, Cells.Length);
            Array.Copy(Hands, b.Hands, Hands.Length);
            return b;
        }
    }

    /// <summary>A reference move: a board move (FromFile > 0) or a drop (DropKind > 0).</summary>
    public readonly record struct RefMove(int FromFile, int FromRank, int ToFile, int ToRank, bool Promote, int DropKind)
    {
        public override string ToString()
        {
            string to = $"{ToFile}{(char)('a' + ToRank)}";
            if (DropKind != 0) return $"{"?PLNSGBR"[DropKind]}*{to}";
            return $"{FromFile}{(char)('a' + FromRank)}{to}{(Promote ? "+" : "")}";
        }
    }

    private static int ColorOf(int piece) => piece >> 4;
    private static int KindOf(int piece) => piece & 15;
    private static bool OnBoard(int file, int rank) => file is >= 1 and <= 9 && rank is >= 0 and <= 8;

    /// <summary>Rank counted from the side's far edge: 0 = the last rank (a for Black, i for White).</summary>
    private static int RelativeRank(int side, int rank) => side == BlackSide ? rank : 8 - rank;

    private static bool InZone(int side, int rank) => RelativeRank(side, rank) <= 2;

    /// <summary>Every square the piece on (file, rank) moves to or attacks on this board (own pieces included: they are "attacked" as defended squares, callers filter).</summary>
    private static IEnumerable<(int File, int Rank)> Reach(Board b, int file, int rank)
    {
        int piece = b.Cells[file, rank];
        int kind = KindOf(piece);
        // White's pieces move the mirror way along ranks: flip dr (file mirroring is irrelevant, all sets are symmetric).
        int flip = ColorOf(piece) == BlackSide ? 1 : -1;
        foreach (var d in StepsOf(kind))
        {
            int f = file + d.Df, r = rank + d.Dr * flip;
            if (OnBoard(f, r)) yield return (f, r);
        }
        foreach (var d in RaysOf(kind))
        {
            int f = file + d.Df, r = rank + d.Dr * flip;
            while (OnBoard(f, r))
            {
                yield return (f, r);
                if (b.Cells[f, r] != 0) break; // blocked: the ray stops at the first piece (which it may capture).
                f += d.Df;
                r += d.Dr * flip;
            }
        }
    }

    /// <summary>True when some piece of colour <paramref name="by"/> can move to (file, rank): plain walk over all its pieces.</summary>
    public static bool IsAttacked(Board b, int file, int rank, int by)
    {
        for (int f = 1; f <= 9; f++)
            for (int r = 0; r < 9; r++)
            {
                int piece = b.Cells[f, r];
                if (piece == 0 || ColorOf(piece) != by) continue;
                foreach (var (tf, tr) in Reach(b, f, r))
                    if (tf == file && tr == rank) return true;
            }
        return false;
    }

    /// <summary>The square of <paramref name="side"/>'s king, found by scanning the board, or null when it has none.</summary>
    private static (int File, int Rank)? FindKing(Board b, int side)
    {
        for (int f = 1; f <= 9; f++)
            for (int r = 0; r < 9; r++)
                if (b.Cells[f, r] == (King | side << 4)) return (f, r);
        return null;
    }

    /// <summary>True when <paramref name="side"/> has a king and it is attacked.</summary>
    public static bool KingInCheck(Board b, int side)
    {
        var k = FindKing(b, side);
        return k is { } sq && IsAttacked(b, sq.File, sq.Rank, side ^ 1);
    }

    /// <summary>The board after <paramref name="m"/> (a copy; the argument is untouched).</summary>
    public static Board Apply(Board b, RefMove m)
    {
        var n = b.Copy();
        int us = b.Side;
        if (m.DropKind != 0)
        {
            n.Hands[us, m.DropKind]--;
            n.Cells[m.ToFile, m.ToRank] = m.DropKind | us << 4;
        }
        else
        {
            int piece = n.Cells[m.FromFile, m.FromRank];
            int captured = n.Cells[m.ToFile, m.ToRank];
            if (captured != 0)
            {
                int capturedKind = KindOf(captured);
                if (capturedKind == King) throw new InvalidOperationException("a king was captured: the position was illegal");
                n.Hands[us, capturedKind & 7]++; // captured pieces go to hand unpromoted.
            }
            n.Cells[m.FromFile, m.FromRank] = 0;
            n.Cells[m.ToFile, m.ToRank] = m.Promote ? piece | 8 : piece;
        }
        n.Side = us ^ 1;
        return n;
    }

    /// <summary>Moves that obey how the pieces move, promotion and drop rules (incl. nifu), ignoring king safety and uchi-fu-zume.</summary>
    public static List<RefMove> PseudoLegalMoves(Board b)
    {
        var moves = new List<RefMove>();
        int us = b.Side;
        for (int f = 1; f <= 9; f++)
            for (int r = 0; r < 9; r++)
            {
                int piece = b.Cells[f, r];
                if (piece == 0 || ColorOf(piece) != us) continue;
                int kind = KindOf(piece);
                foreach (var (tf, tr) in Reach(b, f, r))
                {
                    int target = b.Cells[tf, tr];
                    if (target != 0 && ColorOf(target) == us) continue; // cannot take one's own piece.
                    bool mayPromote = kind is Pawn or Lance or Knight or Silver or Bishop or Rook
                                      && (InZone(us, r) || InZone(us, tr));
                    int rel = RelativeRank(us, tr);
                    bool mustPromote = (kind is Pawn or Lance && rel == 0) || (kind == Knight && rel <= 1);
                    if (mayPromote) moves.Add(new RefMove(f, r, tf, tr, true, 0));
                    if (!mustPromote) moves.Add(new RefMove(f, r, tf, tr, false, 0));
                }
            }

        for (int kind = Pawn; kind <= Rook; kind++)
        {
            if (b.Hands[us, kind] == 0) continue;
            for (int f = 1; f <= 9; f++)
            {
                if (kind == Pawn && FileHasUnpromotedPawn(b, f, us)) continue; // nifu.
                for (int r = 0; r < 9; r++)
                {
                    if (b.Cells[f, r] != 0) continue;
                    int rel = RelativeRank(us, r);
                    if (kind is Pawn or Lance && rel == 0) continue;
                    if (kind == Knight && rel <= 1) continue;
                    moves.Add(new RefMove(0, 0, f, r, false, kind));
                }
            }
        }
        return moves;
    }

    private static bool FileHasUnpromotedPawn(Board b, int file, int side)
    {
        for (int r = 0; r < 9; r++)
            if (b.Cells[file, r] == (Pawn | side << 4)) return true;
        return false;
    }

    /// <summary>The legal moves: pseudo-legal moves that do not leave the mover's king attacked, minus pawn-drop mates.</summary>
    public static List<RefMove> LegalMoves(Board b)
    {
        var legal = new List<RefMove>();
        int us = b.Side, them = us ^ 1;
        foreach (var m in PseudoLegalMoves(b))
        {
            var after = Apply(b, m);
            if (KingInCheck(after, us)) continue;
            // Uchi-fu-zume: a pawn drop that checks and leaves the opponent no legal reply is illegal.
            if (m.DropKind == Pawn && KingInCheck(after, them) && LegalMoves(after).Count == 0) continue;
            legal.Add(m);
        }
        return legal;
    }

    /// <summary>The legal moves of <paramref name="p"/> in USI notation, computed without the engine's move generator.</summary>
    public static SortedSet<string> LegalMoveStrings(Position p) =>
        new(LegalMoves(Board.From(p)).Select(m => m.ToString()), StringComparer.Ordinal);

    /// <summary>True when the side to move in <paramref name="p"/> is in check, by the reference attack test.</summary>
    public static bool InCheck(Position p)
    {
        var b = Board.From(p);
        return KingInCheck(b, b.Side);
    }
}
