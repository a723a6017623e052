using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Keisei.Shogi;

/// <summary>A shogi position: board, hands, side to move; legal moves; make and unmake with Zobrist hashing.</summary>
public sealed partial class Position
{
    /// <summary>Returned as a king square when that side has no king (tsume and test positions).</summary>
    public const int NoSquare = -1;

    public const string StartSfen = "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 1";

    private byte[] _board = new byte[81];
    private byte[] _hand = new byte[16];
    private ColorBoards _byColor;
    private TypeBoards _byType;
    private Bitboard _occupied;
    private int _blackKing = NoSquare, _whiteKing = NoSquare;
    private Color _side;
    private int _moveNumber = 1;
    private ulong _hash;
    private Bitboard _checkers;
    private StateInfo[] _states = new StateInfo[64];
    private int _stateCount;

    private struct StateInfo
    {
        public Move Move;
        public byte Captured;
        public ulong Hash;
        public Bitboard Checkers;
    }

    [InlineArray(2)]
    private struct ColorBoards
    {
        private Bitboard _e;
    }

    [InlineArray(16)]
    private struct TypeBoards
    {
        private Bitboard _e;
    }

    private Position()
    {
    }

    /// <summary>The standard start position.</summary>
    public static Position StartPosition() => FromSfen(StartSfen);

    /// <summary>A deep copy (no shared state), with the same move history for unmake.</summary>
    public Position Clone()
    {
        var p = (Position)MemberwiseClone();
        p._board = (byte[])_board.Clone();
        p._hand = (byte[])_hand.Clone();
        p._states = (StateInfo[])_states.Clone();
        return p;
    }

    public Color SideToMove => _side;

    /// <summary>The SFEN move number (1 for the start position; increases by one each ply).</summary>
    public int MoveNumber => _moveNumber;

    /// <summary>Zobrist key of board, hands and side to move.</summary>
    public ulong Hash => _hash;

    public bool InCheck => _checkers.Any;

    /// <summary>Pieces of the opponent giving check to the side to move.</summary>
    public Bitboard Checkers => _checkers;

    public Bitboard Occupied => _occupied;

    /// <summary>Number of moves made since this object was set up (how many can be unmade).</summary>
    public int PliesPlayed => _stateCount;

    /// <summary>The last move made, or <see cref="Move.None"/>.</summary>
    public Move LastMove => _stateCount > 0 ? _states[_stateCount - 1].Move : Move.None;

    /// <summary>The coloured piece code on a square (0 when empty); see <see cref="Pieces"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int PieceOn(int sq) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_board), sq);

    public int HandCount(Color c, PieceType kind) => _hand[(int)c * 8 + (int)kind];

    public int KingSquare(Color c) => c == Color.Black ? _blackKing : _whiteKing;

    public Bitboard PiecesOf(Color c) => _byColor[(int)c];

    public Bitboard PiecesOf(Color c, PieceType t) => _byColor[(int)c] & _byType[(int)t];

    /// <summary>The key this position would have if computed from scratch (for verifying the incremental one).</summary>
    public ulong ComputeHash()
    {
        ulong h = _side == Color.White ? Zobrist.Side : 0;
        for (int sq = 0; sq < 81; sq++)
            if (_board[sq] != 0) h ^= Zobrist.Piece[_board[sq] * 81 + sq];
        for (int c = 0; c < 2; c++)
            for (int k = 1; k <= Pieces.HandKinds; k++)
                h ^= Zobrist.Hand[(c * 8 + k) * 19 + _hand[c * 8 + k]];
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PutPiece(int piece, int sq)
    {
        _board[sq] = (byte)piece;
        var bb = Bitboard.FromSquare(sq);
        _byColor[piece >> 4] |= bb;
        _byType[piece & 15] |= bb;
        _occupied |= bb;
        _hash ^= Zobrist.Piece[piece * 81 + sq];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RemovePiece(int piece, int sq)
    {
        _board[sq] = 0;
        var bb = Bitboard.FromSquare(sq);
        _byColor[piece >> 4] ^= bb;
        _byType[piece & 15] ^= bb;
        _occupied ^= bb;
        _hash ^= Zobrist.Piece[piece * 81 + sq];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetHand(Color c, PieceType kind, int count)
    {
        int i = (int)c * 8 + (int)kind;
        _hash ^= Zobrist.Hand[i * 19 + _hand[i]] ^ Zobrist.Hand[i * 19 + count];
        _hand[i] = (byte)count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetKing(Color c, int sq)
    {
        if (c == Color.Black) _blackKing = sq;
        else _whiteKing = sq;
    }

    /// <summary>Plays a move that must be legal in this position (use <see cref="IsLegal"/> for untrusted input).</summary>
    public void DoMove(Move m)
    {
        if (_stateCount == _states.Length) Array.Resize(ref _states, _states.Length * 2);
        ref var st = ref _states[_stateCount++];
        st.Move = m;
        st.Hash = _hash;
        st.Checkers = _checkers;
        st.Captured = 0;

        var us = _side;
        int to = m.To;
        if (m.IsDrop)
        {
            var kind = m.DropKind;
            SetHand(us, kind, _hand[(int)us * 8 + (int)kind] - 1);
            PutPiece(Pieces.Make(kind, us), to);
        }
        else
        {
            int from = m.From;
            int piece = _board[from];
            int captured = _board[to];
            if (captured != 0)
            {
                st.Captured = (byte)captured;
                RemovePiece(captured, to);
                var kind = Pieces.Unpromote(Pieces.TypeOf(captured));
                SetHand(us, kind, _hand[(int)us * 8 + (int)kind] + 1);
            }
            RemovePiece(piece, from);
            if (m.IsPromotion) piece |= 8;
            PutPiece(piece, to);
            if ((piece & 15) == (int)PieceType.King) SetKing(us, to);
        }

        _side = us.Opponent();
        _hash ^= Zobrist.Side;
        _moveNumber++;
        int ksq = KingSquare(_side);
        _checkers = ksq == NoSquare ? Bitboard.Empty : AttackersTo(ksq, us, _occupied);
    }

    /// <summary>Takes back the last move made with <see cref="DoMove"/>.</summary>
    public void UndoMove()
    {
        if (_stateCount == 0) throw new InvalidOperationException("No move to undo.");
        ref var st = ref _states[--_stateCount];
        var m = st.Move;
        _side = _side.Opponent();
        var us = _side;
        _moveNumber--;
        int to = m.To;
        if (m.IsDrop)
        {
            var kind = m.DropKind;
            RemovePiece(Pieces.Make(kind, us), to);
            SetHand(us, kind, _hand[(int)us * 8 + (int)kind] + 1);
        }
        else
        {
            int piece = _board[to];
            RemovePiece(piece, to);
            if (m.IsPromotion) piece &= ~8;
            PutPiece(piece, m.From);
            if ((piece & 15) == (int)PieceType.King) SetKing(us, m.From);
            int captured = st.Captured;
            if (captured != 0)
            {
                PutPiece(captured, to);
                var kind = Pieces.Unpromote(Pieces.TypeOf(captured));
                SetHand(us, kind, _hand[(int)us * 8 + (int)kind] - 1);
            }
        }
        _hash = st.Hash;
        _checkers = st.Checkers;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Bitboard GoldLike(Color c) =>
        (_byType[(int)PieceType.Gold] | _byType[(int)PieceType.ProPawn] | _byType[(int)PieceType.ProLance]
         | _byType[(int)PieceType.ProKnight] | _byType[(int)PieceType.ProSilver]) & _byColor[(int)c];

    /// <summary>Pieces of colour <paramref name="by"/> that attack <paramref name="sq"/> given occupancy <paramref name="occ"/>.</summary>
    public Bitboard AttackersTo(int sq, Color by, in Bitboard occ)
    {
        var opp = by.Opponent();
        var mine = _byColor[(int)by];
        var kingLike = _byType[(int)PieceType.King] | _byType[(int)PieceType.Horse] | _byType[(int)PieceType.Dragon];
        var result = (Attacks.Pawn(opp, sq) & _byType[(int)PieceType.Pawn])
            | (Attacks.Knight(opp, sq) & _byType[(int)PieceType.Knight])
            | (Attacks.Silver(opp, sq) & _byType[(int)PieceType.Silver])
            | (Attacks.King(sq) & kingLike)
            | (Attacks.Lance(opp, sq, occ) & _byType[(int)PieceType.Lance])
            | (Attacks.Rook(sq, occ) & (_byType[(int)PieceType.Rook] | _byType[(int)PieceType.Dragon]))
            | (Attacks.Bishop(sq, occ) & (_byType[(int)PieceType.Bishop] | _byType[(int)PieceType.Horse]));
        return (result & mine) | (Attacks.Gold(opp, sq) & GoldLike(by));
    }

    /// <summary>True when colour <paramref name="by"/> attacks <paramref name="sq"/> given occupancy <paramref name="occ"/>.</summary>
    public bool IsAttacked(int sq, Color by, in Bitboard occ)
    {
        var opp = by.Opponent();
        var mine = _byColor[(int)by];
        if ((Attacks.Pawn(opp, sq) & _byType[(int)PieceType.Pawn] & mine).Any) return true;
        if ((Attacks.Gold(opp, sq) & GoldLike(by)).Any) return true;
        if ((Attacks.Silver(opp, sq) & _byType[(int)PieceType.Silver] & mine).Any) return true;
        if ((Attacks.King(sq) & (_byType[(int)PieceType.King] | _byType[(int)PieceType.Horse] | _byType[(int)PieceType.Dragon]) & mine).Any) return true;
        if ((Attacks.Knight(opp, sq) & _byType[(int)PieceType.Knight] & mine).Any) return true;
        if ((Attacks.Rook(sq, occ) & (_byType[(int)PieceType.Rook] | _byType[(int)PieceType.Dragon]) & mine).Any) return true;
        if ((Attacks.Bishop(sq, occ) & (_byType[(int)PieceType.Bishop] | _byType[(int)PieceType.Horse]) & mine).Any) return true;
        return (Attacks.Lance(opp, sq, occ) & _byType[(int)PieceType.Lance] & mine).Any;
    }

    /// <summary>Pieces of colour <paramref name="c"/> that shield their king at <paramref name="ksq"/> from an enemy slider.</summary>
    private Bitboard PinnedPieces(Color c, int ksq, in Bitboard occ)
    {
        var them = _byColor[(int)c ^ 1];
        var snipers = ((Attacks.RookOnEmpty(ksq) & (_byType[(int)PieceType.Rook] | _byType[(int)PieceType.Dragon]))
                       | (Attacks.BishopOnEmpty(ksq) & (_byType[(int)PieceType.Bishop] | _byType[(int)PieceType.Horse]))
                       | (Attacks.Forward(c, ksq) & _byType[(int)PieceType.Lance])) & them;
        var pinned = Bitboard.Empty;
        var own = _byColor[(int)c];
        while (snipers.Any)
        {
            int s = snipers.Pop();
            var blockers = Attacks.Between(ksq, s) & occ;
            if (blockers.Any && !blockers.HasMoreThanOne && (blockers & own).Any) pinned |= blockers;
        }
        return pinned;
    }
}
