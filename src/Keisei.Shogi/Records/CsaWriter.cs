using System.Globalization;
using System.Text;

namespace Keisei.Shogi.Records;

/// <summary>Writes a game in CSA standard format V2.2: names, start position, moves with times, end token.</summary>
public static class CsaWriter
{
    private static readonly PieceType[] HandOrder =
        [PieceType.Rook, PieceType.Bishop, PieceType.Gold, PieceType.Silver, PieceType.Knight, PieceType.Lance, PieceType.Pawn];

    /// <summary>The CSA V2.2 text of <paramref name="record"/>, lines ending in <c>\n</c>.</summary>
    /// <exception cref="ArgumentException">A move is illegal where it is played, or the move times do not match the moves.</exception>
    /// <exception cref="SfenException">The start SFEN is invalid.</exception>
    public static string Write(GameRecord record)
    {
        var position = RecordSupport.StartPosition(record);
        int[]? seconds = RecordSupport.MoveSeconds(record);
        var sb = new StringBuilder(1024);

        sb.Append("V2.2\n");
        sb.Append("N+").Append(record.BlackName).Append('\n');
        sb.Append("N-").Append(record.WhiteName).Append('\n');
        if (record.StartTime is { } start)
            sb.Append("$START_TIME:").Append(start.ToString("yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture)).Append('\n');

        if (RecordSupport.IsStandardStart(position))
            sb.Append("PI\n");
        else
            AppendBoard(sb, position);
        sb.Append(Sign(position.SideToMove)).Append('\n');

        for (int i = 0; i < record.Moves.Count; i++)
        {
            var move = record.Moves[i];
            RecordSupport.CheckLegal(position, move, i);
            sb.Append(Sign(position.SideToMove));
            if (move.IsDrop)
            {
                sb.Append("00");
                AppendSquare(sb, move.To);
                sb.Append(Code(move.DropKind));
            }
            else
            {
                var kind = Pieces.TypeOf(position.PieceOn(move.From));
                AppendSquare(sb, move.From);
                AppendSquare(sb, move.To);
                sb.Append(Code(move.IsPromotion ? Pieces.Promote(kind) : kind));
            }
            sb.Append('\n');
            if (seconds is not null)
                sb.Append('T').Append(seconds[i].ToString(CultureInfo.InvariantCulture)).Append('\n');
            position.DoMove(move);
        }

        if (EndToken(record, position.SideToMove) is { } token)
        {
            sb.Append(token).Append('\n');
            // '* comments belong to the move (here the end token) before them.
            foreach (string line in RecordSupport.EndComments(record)) sb.Append("'*").Append(line).Append('\n');
        }
        return sb.ToString();
    }

    private static char Sign(Color c) => c == Color.Black ? '+' : '-';

    /// <summary>File then rank, both 1..9: <c>77</c> for 7g.</summary>
    private static void AppendSquare(StringBuilder sb, int sq) =>
        sb.Append((char)('0' + Squares.File(sq))).Append((char)('1' + Squares.Rank(sq)));

    private static string Code(PieceType kind) => kind switch
    {
        PieceType.Pawn => "FU",
        PieceType.Lance => "KY",
        PieceType.Knight => "KE",
        PieceType.Silver => "GI",
        PieceType.Gold => "KI",
        PieceType.Bishop => "KA",
        PieceType.Rook => "HI",
        PieceType.King => "OU",
        PieceType.ProPawn => "TO",
        PieceType.ProLance => "NY",
        PieceType.ProKnight => "NK",
        PieceType.ProSilver => "NG",
        PieceType.Horse => "UM",
        PieceType.Dragon => "RY",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a piece"),
    };

    /// <summary><c>P1</c>..<c>P9</c> rows (file 9 to 1, <c> * </c> for empty), then <c>P+</c>/<c>P-</c> hand lines for non-empty hands.</summary>
    private static void AppendBoard(StringBuilder sb, Position position)
    {
        for (int rank = 0; rank < 9; rank++)
        {
            sb.Append('P').Append((char)('1' + rank));
            for (int file = 9; file >= 1; file--)
            {
                int piece = position.PieceOn(Squares.Of(file, rank));
                if (piece == 0) sb.Append(" * ");
                else sb.Append(Sign(Pieces.ColorOf(piece))).Append(Code(Pieces.TypeOf(piece)));
            }
            sb.Append('\n');
        }
        foreach (var c in (ReadOnlySpan<Color>)[Color.Black, Color.White])
        {
            int before = sb.Length;
            foreach (var kind in HandOrder)
                for (int n = position.HandCount(c, kind); n > 0; n--)
                    sb.Append("00").Append(Code(kind));
            if (sb.Length == before) continue;
            sb.Insert(before, c == Color.Black ? "P+" : "P-").Append('\n');
        }
    }

    /// <summary>
    /// The <c>%</c> token for how the game ended, or null for a game without a termination. Every foul (perpetual check,
    /// illegal move or declaration, and engine faults: disconnect, stall) names the loser so that a reader sees the winner:
    /// <c>%ILLEGAL_MOVE</c> (V2.2: the side to move loses by a foul, told in a comment) when the side to move is at fault,
    /// else <c>%+ILLEGAL_ACTION</c> / <c>%-ILLEGAL_ACTION</c> (Black's / White's foul). tsshogi 2.2.0 reads the last two
    /// the wrong way round (its ShogiHome issue 1582, fixed after 2.2.0); <c>%ILLEGAL_MOVE</c> every reader takes alike.
    /// </summary>
    private static string? EndToken(GameRecord record, Color sideToMove)
    {
        var loser = RecordSupport.Winner(record, sideToMove).Opponent();
        string illegalAction = loser == Color.Black ? "%+ILLEGAL_ACTION" : "%-ILLEGAL_ACTION";
        return record.Termination switch
        {
            TerminationReason.None => null,
            TerminationReason.Resignation => "%TORYO",
            TerminationReason.Checkmate => "%TSUMI",
            TerminationReason.Sennichite => "%SENNICHITE",
            TerminationReason.PerpetualCheck or TerminationReason.IllegalDeclaration or TerminationReason.IllegalMove
                or TerminationReason.Disconnect or TerminationReason.Stall => loser == sideToMove ? "%ILLEGAL_MOVE" : illegalAction,
            TerminationReason.TimeForfeit => "%TIME_UP",
            TerminationReason.EnteringKing => "%KACHI",
            TerminationReason.MaxMoves => "%MAX_MOVES",
            TerminationReason.Aborted => "%CHUDAN",
            _ => throw new ArgumentOutOfRangeException(nameof(record), record.Termination, "unknown termination reason"),
        };
    }
}
