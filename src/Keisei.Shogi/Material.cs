namespace Keisei.Shogi;

/// <summary>Conventional material values of the pieces and the material balance of a position.</summary>
public static class Material
{
    /// <summary>P 1, L 3, N 4, S 5, G 6, B 8, R 10, King 100, +P +L +N +S 6, Horse 10, Dragon 12; indexed by <see cref="PieceType"/>.</summary>
    private static ReadOnlySpan<int> Values => [0, 1, 3, 4, 5, 6, 8, 10, 100, 6, 6, 6, 6, 0, 10, 12];

    /// <summary>Material value of a piece kind.</summary>
    public static int Value(PieceType kind) => Values[(int)kind];

    /// <summary>Material of <paramref name="side"/> minus its opponent's, board and hands, kings left out.</summary>
    public static int Balance(Position position, Color side)
    {
        int balance = 0;
        var occupied = position.Occupied;
        while (occupied.Any)
        {
            int piece = position.PieceOn(occupied.Pop());
            var kind = Pieces.TypeOf(piece);
            if (kind == PieceType.King) continue;
            balance += Pieces.ColorOf(piece) == side ? Value(kind) : -Value(kind);
        }
        for (var kind = PieceType.Pawn; kind <= PieceType.Rook; kind++)
            balance += Value(kind) * (position.HandCount(side, kind) - position.HandCount(side.Opponent(), kind));
        return balance;
    }
}
