using System.Runtime.CompilerServices;

namespace Keisei.Shogi;

public sealed partial class Position
{
    /// <summary>Writes every legal move of the side to move into <paramref name="list"/> (cleared first). Allocates nothing.</summary>
    public void GenerateLegalMoves(ref MoveList list)
    {
        list.Clear();
        var us = _side;
        var them = us.Opponent();
        int ksq = KingSquare(us);
        var own = _byColor[(int)us];
        var occ = _occupied;
        Bitboard target, dropTarget;

        if (ksq != NoSquare)
        {
            var kingTargets = Bitboard.AndNot(Attacks.King(ksq), own);
            var occWithoutKing = occ ^ Bitboard.FromSquare(ksq);
            while (kingTargets.Any)
            {
                int to = kingTargets.Pop();
                if (!IsAttacked(to, them, occWithoutKing)) list.Add(Move.Board(ksq, to));
            }
        }

        if (_checkers.Any)
        {
            if (_checkers.HasMoreThanOne) return;
            int checker = _checkers.First();
            dropTarget = Attacks.Between(ksq, checker);
            target = dropTarget | _checkers;
        }
        else
        {
            target = ~own;
            dropTarget = ~occ;
        }

        var pinned = ksq == NoSquare ? Bitboard.Empty : PinnedPieces(us, ksq, occ);
        var movers = own;
        if (ksq != NoSquare) movers ^= Bitboard.FromSquare(ksq);
        while (movers.Any)
        {
            int from = movers.Pop();
            var kind = Pieces.TypeOf(_board[from]);
            var dests = Attacks.Of(kind, us, from, occ) & target;
            if (pinned.Contains(from)) dests &= Attacks.Line(ksq, from);
            AddBoardMoves(ref list, us, kind, from, dests);
        }

        if (dropTarget.Any) GenerateDrops(ref list, us, dropTarget);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddBoardMoves(ref MoveList list, Color us, PieceType kind, int from, Bitboard dests)
    {
        if (!Pieces.CanPromote(kind))
        {
            while (dests.Any) list.Add(Move.Board(from, dests.Pop()));
            return;
        }
        bool fromZone = Squares.InZone(us, from);
        // Ranks (relative) on which an unpromoted piece of this kind could never move again.
        int deadRanks = kind switch
        {
            PieceType.Pawn or PieceType.Lance => 1,
            PieceType.Knight => 2,
            _ => 0,
        };
        while (dests.Any)
        {
            int to = dests.Pop();
            int rel = Squares.RelativeRank(us, to);
            if (fromZone || rel <= 2)
            {
                list.Add(Move.Board(from, to, promote: true));
                if (rel >= deadRanks) list.Add(Move.Board(from, to));
            }
            else
            {
                list.Add(Move.Board(from, to));
            }
        }
    }

    private void GenerateDrops(ref MoveList list, Color us, Bitboard dropTarget)
    {
        int handBase = (int)us * 8;
        var lastRank = Attacks.RankMask(us == Color.Black ? 0 : 8);
        var lastTwo = lastRank | Attacks.RankMask(us == Color.Black ? 1 : 7);

        if (_hand[handBase + (int)PieceType.Pawn] > 0)
        {
            var squares = Bitboard.AndNot(dropTarget, lastRank);
            var pawns = PiecesOf(us, PieceType.Pawn);
            while (pawns.Any) squares = Bitboard.AndNot(squares, Attacks.FileMask(Squares.File(pawns.Pop())));
            int enemyKing = KingSquare(us.Opponent());
            var mateSquare = enemyKing == NoSquare ? Bitboard.Empty : Attacks.Pawn(us.Opponent(), enemyKing);
            while (squares.Any)
            {
                int to = squares.Pop();
                if (mateSquare.Contains(to) && IsPawnDropMate(us, to, enemyKing)) continue;
                list.Add(Move.Drop(PieceType.Pawn, to));
            }
        }
        if (_hand[handBase + (int)PieceType.Lance] > 0) AddDrops(ref list, PieceType.Lance, Bitboard.AndNot(dropTarget, lastRank));
        if (_hand[handBase + (int)PieceType.Knight] > 0) AddDrops(ref list, PieceType.Knight, Bitboard.AndNot(dropTarget, lastTwo));
        for (var kind = PieceType.Silver; kind <= PieceType.Rook; kind++)
            if (_hand[handBase + (int)kind] > 0) AddDrops(ref list, kind, dropTarget);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddDrops(ref MoveList list, PieceType kind, Bitboard squares)
    {
        while (squares.Any) list.Add(Move.Drop(kind, squares.Pop()));
    }

    /// <summary>
    /// Uchi-fu-zume test: would a pawn of <paramref name="us"/> dropped on <paramref name="to"/>, checking the king on
    /// <paramref name="enemyKing"/>, leave that side without a legal reply?
    /// </summary>
    private bool IsPawnDropMate(Color us, int to, int enemyKing)
    {
        var them = us.Opponent();
        var occ = _occupied | Bitboard.FromSquare(to);

        // Can a piece other than the king take the pawn without exposing its king?
        var takers = AttackersTo(to, them, occ) & ~Bitboard.FromSquare(enemyKing);
        if (takers.Any)
        {
            var pinned = PinnedPieces(them, enemyKing, occ);
            while (takers.Any)
            {
                int t = takers.Pop();
                if (!pinned.Contains(t) || Attacks.Line(enemyKing, t).Contains(to)) return false;
            }
        }

        // Can the king step (or take the pawn) to a square we do not attack?
        var escapes = Bitboard.AndNot(Attacks.King(enemyKing), _byColor[(int)them]);
        var occWithoutKing = occ ^ Bitboard.FromSquare(enemyKing);
        while (escapes.Any)
            if (!IsAttacked(escapes.Pop(), us, occWithoutKing)) return false;
        return true;
    }

    /// <summary>True when the side to move has at least one legal move.</summary>
    public bool HasLegalMove()
    {
        var list = new MoveList();
        GenerateLegalMoves(ref list);
        return list.Count > 0;
    }

    /// <summary>True when <paramref name="m"/> is one of the legal moves of this position.</summary>
    public bool IsLegal(Move m)
    {
        var list = new MoveList();
        GenerateLegalMoves(ref list);
        return list.Contains(m);
    }
}
