using System.Runtime.CompilerServices;
using Keisei.Shogi;

namespace Keisei.Neural.Encoding;

/// <summary>
/// The Keisei-compatible action space of 13,527 actions in absolute coordinates (row = rank a..i, column 0 = file 9):
/// board moves <c>2·(from·80 + k) + promote</c> with <c>k = to</c> if <c>to &lt; from</c> else <c>to − 1</c>; drops
/// <c>12960 + to·7 + kind</c> with kinds P L N S G B R.
/// </summary>
public static class ActionSpace
{
    /// <summary>Name recorded in checkpoints for this action space.</summary>
    public const string Name = "keisei13527";

    public const int Size = 13527;
    public const int BoardMoveCount = 12960;

    /// <summary>Index 0..80 of a square in Keisei's row-major layout (row = rank, column = 9 − file).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int KeiseiSquare(int sq) => Squares.Rank(sq) * 9 + (9 - Squares.File(sq));

    /// <summary>Our square of a Keisei row-major index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int FromKeiseiSquare(int index) => Squares.Of(9 - index % 9, index / 9);

    /// <summary>The action index of a move.</summary>
    /// <exception cref="ArgumentException">The move cannot be mapped (no move, or origin equal to destination).</exception>
    public static int IndexOf(Move move)
    {
        int to = KeiseiSquare(move.To);
        if (move.IsDrop)
        {
            var kind = move.DropKind;
            if (kind is < PieceType.Pawn or > PieceType.Rook)
                throw new ArgumentException($"Move {move} drops no droppable piece and has no action index.", nameof(move));
            // Hand order P L N S G B R is the PieceType order 1..7.
            return BoardMoveCount + to * 7 + ((int)kind - 1);
        }
        int from = KeiseiSquare(move.From);
        if (move.IsNone || from == to)
            throw new ArgumentException($"Move {move} has no action index (origin equals destination).", nameof(move));
        int k = to < from ? to : to - 1;
        return 2 * (from * 80 + k) + (move.IsPromotion ? 1 : 0);
    }

    /// <summary>The move an action index stands for (not checked against any position).</summary>
    public static Move MoveAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Size);
        if (index >= BoardMoveCount)
        {
            int rest = index - BoardMoveCount;
            return Move.Drop((PieceType)(rest % 7 + 1), FromKeiseiSquare(rest / 7));
        }
        bool promote = (index & 1) != 0;
        int pair = index >> 1;
        int from = pair / 80, k = pair % 80;
        int to = k < from ? k : k + 1;
        return Move.Board(FromKeiseiSquare(from), FromKeiseiSquare(to), promote);
    }

    /// <summary>
    /// Writes the legal moves' indices into <paramref name="indices"/> (and the moves into <paramref name="moves"/>)
    /// and returns their count. Allocates nothing.
    /// </summary>
    public static int LegalActions(Position position, Span<int> indices, Span<Move> moves)
    {
        var list = new MoveList();
        position.GenerateLegalMoves(ref list);
        for (int i = 0; i < list.Count; i++)
        {
            indices[i] = IndexOf(list[i]);
            moves[i] = list[i];
        }
        return list.Count;
    }

    /// <summary>Fills a 13,527-entry mask: true exactly at the legal moves' indices. Returns the number of legal moves.</summary>
    public static int LegalMask(Position position, Span<bool> mask)
    {
        if (mask.Length != Size) throw new ArgumentException($"The mask must have {Size} entries, found {mask.Length}.", nameof(mask));
        mask.Clear();
        var list = new MoveList();
        position.GenerateLegalMoves(ref list);
        for (int i = 0; i < list.Count; i++) mask[IndexOf(list[i])] = true;
        return list.Count;
    }
}
