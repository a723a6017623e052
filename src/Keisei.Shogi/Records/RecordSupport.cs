namespace Keisei.Shogi.Records;

/// <summary>What the KIF and CSA writers share: replaying and checking a record, move times, who won.</summary>
internal static class RecordSupport
{
    /// <summary>The record's start position.</summary>
    public static Position StartPosition(GameRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(record.Moves);
        return Position.FromSfen(record.StartSfen);
    }

    /// <summary>True when board, hands and side to move are those of the standard start position (the move number is ignored).</summary>
    public static bool IsStandardStart(Position position) =>
        WithoutMoveNumber(position.ToSfen()) == WithoutMoveNumber(Position.StartSfen);

    private static string WithoutMoveNumber(string sfen) => sfen[..sfen.LastIndexOf(' ')];

    /// <summary>Throws unless <paramref name="move"/> (ply <paramref name="index"/> + 1 of the record) is legal in <paramref name="position"/>.</summary>
    public static void CheckLegal(Position position, Move move, int index)
    {
        if (!position.IsLegal(move))
            throw new ArgumentException(
                $"move {index + 1} ({move.ToUsi()}) is not legal in position {position.ToSfen()}", "record");
    }

    /// <summary>Whole seconds spent on each move (fractions dropped), or null when the record has no times.</summary>
    public static int[]? MoveSeconds(GameRecord record)
    {
        if (record.MoveTimes is not { } times) return null;
        if (times.Count != record.Moves.Count)
            throw new ArgumentException(
                $"the record has {record.Moves.Count} moves but {times.Count} move times", "record");
        var seconds = new int[times.Count];
        for (int i = 0; i < times.Count; i++)
        {
            if (times[i] < TimeSpan.Zero)
                throw new ArgumentException($"move {i + 1} has a negative time ({times[i]})", "record");
            seconds[i] = (int)Math.Floor(times[i].TotalSeconds);
        }
        return seconds;
    }

    /// <summary>
    /// The winner of a decided game. When <see cref="GameRecord.Result"/> names none (an inconsistent record), the side to
    /// move at the end is taken as the loser, except for an entering-king declaration, which the side to move wins.
    /// </summary>
    public static Color Winner(GameRecord record, Color sideToMove) => record.Result switch
    {
        GameResult.BlackWin => Color.Black,
        GameResult.WhiteWin => Color.White,
        _ => record.Termination == TerminationReason.EnteringKing ? sideToMove : sideToMove.Opponent(),
    };

    /// <summary>
    /// Comment lines for the end of the record: what a termination that the end token alone does not tell means (which
    /// foul, the move limit), then the record's detail, each on one line.
    /// </summary>
    public static IEnumerable<string> EndComments(GameRecord record)
    {
        string? why = record.Termination switch
        {
            TerminationReason.PerpetualCheck => "連続王手の千日手による負け (perpetual check: the checking side loses)",
            TerminationReason.IllegalDeclaration => "条件を満たさない入玉宣言による負け (invalid entering-king declaration)",
            TerminationReason.Disconnect => "接続切れによる負け (disconnect: the side at fault loses)",
            TerminationReason.Stall => "応答なしによる負け (stall: the side at fault loses)",
            TerminationReason.MaxMoves => "最大手数に達したため引き分け (move limit reached: a draw)",
            _ => null,
        };
        if (why is not null) yield return why;
        if (!string.IsNullOrWhiteSpace(record.Detail))
            yield return string.Join(' ', record.Detail.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
