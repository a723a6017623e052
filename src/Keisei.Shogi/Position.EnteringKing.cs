namespace Keisei.Shogi;

public sealed partial class Position
{
    /// <summary>Points the side to move counts for the 27-point entering-king declaration (pieces in the enemy camp and in hand; R/B 5, others 1, king 0).</summary>
    public int EnteringKingPoints(Color c, out int piecesInCamp)
    {
        var camp = Bitboard.Empty;
        for (int r = 0; r < 3; r++) camp |= Attacks.RankMask(c == Color.Black ? r : 8 - r);
        var pieces = _byColor[(int)c] & camp;
        int ksq = KingSquare(c);
        if (ksq != NoSquare) pieces = Bitboard.AndNot(pieces, Bitboard.FromSquare(ksq));
        piecesInCamp = pieces.Count;
        var big = _byType[(int)PieceType.Rook] | _byType[(int)PieceType.Bishop] | _byType[(int)PieceType.Dragon] | _byType[(int)PieceType.Horse];
        int bigInCamp = (pieces & big).Count;
        int points = piecesInCamp + 4 * bigInCamp;
        for (var k = PieceType.Pawn; k <= PieceType.Rook; k++)
        {
            int n = _hand[(int)c * 8 + (int)k];
            points += k is PieceType.Rook or PieceType.Bishop ? 5 * n : n;
        }
        return points;
    }

    /// <summary>
    /// True when the side to move may declare a win under the 27-point rule: king in the enemy camp, at least 10 other
    /// pieces there, not in check, and at least 28 points (Black) or 27 (White).
    /// </summary>
    public bool CanDeclareEnteringKingWin()
    {
        var us = _side;
        int ksq = KingSquare(us);
        if (ksq == NoSquare || !Squares.InZone(us, ksq) || InCheck) return false;
        int points = EnteringKingPoints(us, out int inCamp);
        return inCamp >= 10 && points >= (us == Color.Black ? 28 : 27);
    }
}
