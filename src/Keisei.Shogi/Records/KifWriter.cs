using System.Globalization;
using System.Text;

namespace Keisei.Shogi.Records;

/// <summary>Writes a game as KIF (Kakinoki format): header, board diagram when needed, one line per move, result.</summary>
public static class KifWriter
{
    private const string FileDigits = "１２３４５６７８９";
    private const string RankKanji = "一二三四五六七八九";
    private const string Numbers = "一二三四五六七八九十";

    /// <summary>Display width (half-width columns) the move text is padded to before the time column.</summary>
    private const int MoveColumnWidth = 13;

    private static readonly PieceType[] HandOrder =
        [PieceType.Rook, PieceType.Bishop, PieceType.Gold, PieceType.Silver, PieceType.Knight, PieceType.Lance, PieceType.Pawn];

    /// <summary>
    /// Shift_JIS (code page 932, as Windows and the KIF readers use it) for <c>.kif</c> files; a character it cannot hold
    /// (for example in a player name) is written as <c>?</c>, so the file stays valid Shift_JIS.
    /// </summary>
    public static readonly Encoding ShiftJis = CreateShiftJis();

    private static Encoding CreateShiftJis()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(932, new EncoderReplacementFallback("?"), DecoderFallback.ExceptionFallback);
    }

    /// <summary>
    /// The KIF text of <paramref name="record"/>, lines ending in <c>\n</c>. Save it as UTF-8 (<c>.kifu</c>) or
    /// Shift_JIS (<c>.kif</c>); that choice is the caller's.
    /// </summary>
    /// <exception cref="ArgumentException">A move is illegal where it is played, or the move times do not match the moves.</exception>
    /// <exception cref="SfenException">The start SFEN is invalid.</exception>
    public static string Write(GameRecord record)
    {
        var position = RecordSupport.StartPosition(record);
        int[]? seconds = RecordSupport.MoveSeconds(record);
        var sb = new StringBuilder(1024);

        if (record.StartTime is { } start)
            sb.Append("開始日時：").Append(start.ToString("yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture)).Append('\n');
        if (RecordSupport.IsStandardStart(position))
            sb.Append("手合割：平手\n");
        else
            AppendBoard(sb, position);
        sb.Append("先手：").Append(record.BlackName).Append('\n');
        sb.Append("後手：").Append(record.WhiteName).Append('\n');
        sb.Append("手数----指手---------消費時間--\n");

        Span<int> total = stackalloc int[2];
        int previousTo = -1;
        for (int i = 0; i < record.Moves.Count; i++)
        {
            var move = record.Moves[i];
            RecordSupport.CheckLegal(position, move, i);
            var mover = position.SideToMove;
            string text = MoveText(position, move, previousTo);
            int spent = seconds?[i] ?? 0;
            total[(int)mover] += spent;

            AppendNumber(sb, i + 1);
            sb.Append(text);
            sb.Append(' ', Math.Max(1, MoveColumnWidth - DisplayWidth(text)));
            sb.Append("(").Append(MinutesSeconds(spent)).Append('/').Append(HoursMinutesSeconds(total[(int)mover])).Append(")\n");

            position.DoMove(move);
            previousTo = move.To;
        }

        AppendEnd(sb, record, position.SideToMove);
        return sb.ToString();
    }

    private static void AppendNumber(StringBuilder sb, int number) =>
        sb.Append(number.ToString(CultureInfo.InvariantCulture).PadLeft(4)).Append(' ');

    /// <summary>
    /// Move text such as <c>７六歩(77)</c>, <c>同　銀(31)</c>, <c>２二角成(88)</c>, <c>４五角打</c>. A declined promotion is
    /// written without <c>不成</c>: the Kakinoki definition has no such suffix, and readers (tsshogi, ShogiHome) take such a
    /// line for an unknown special move that ends the game.
    /// </summary>
    /// <param name="previousTo">The square the previous move went to (-1 for the first move): a move there is written <c>同</c>.</param>
    public static string MoveText(Position position, Move move, int previousTo)
    {
        var sb = new StringBuilder(12);
        if (move.To == previousTo) sb.Append("同　");
        else sb.Append(FileDigits[Squares.File(move.To) - 1]).Append(RankKanji[Squares.Rank(move.To)]);

        if (move.IsDrop)
            return sb.Append(MovePieceName(move.DropKind)).Append('打').ToString();

        var kind = Pieces.TypeOf(position.PieceOn(move.From));
        sb.Append(MovePieceName(kind));
        if (move.IsPromotion) sb.Append('成');
        return sb.Append('(').Append(Squares.File(move.From)).Append(Squares.Rank(move.From) + 1).Append(')').ToString();
    }

    /// <summary>Width in half-width columns: every non-ASCII character used here is full-width.</summary>
    private static int DisplayWidth(string text)
    {
        int width = 0;
        foreach (char ch in text) width += ch < 0x80 ? 1 : 2;
        return width;
    }

    private static string MinutesSeconds(int seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{seconds / 60,2}:{seconds % 60:00}");

    private static string HoursMinutesSeconds(int seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:00}:{seconds / 60 % 60:00}:{seconds % 60:00}");

    private static string MovePieceName(PieceType kind) => kind switch
    {
        PieceType.Pawn => "歩",
        PieceType.Lance => "香",
        PieceType.Knight => "桂",
        PieceType.Silver => "銀",
        PieceType.Gold => "金",
        PieceType.Bishop => "角",
        PieceType.Rook => "飛",
        PieceType.King => "玉",
        PieceType.ProPawn => "と",
        PieceType.ProLance => "成香",
        PieceType.ProKnight => "成桂",
        PieceType.ProSilver => "成銀",
        PieceType.Horse => "馬",
        PieceType.Dragon => "龍",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a piece"),
    };

    /// <summary>One-character names used in the board diagram (promoted lance, knight, silver: 杏 圭 全).</summary>
    private static char BoardPieceName(PieceType kind) => kind switch
    {
        PieceType.ProLance => '杏',
        PieceType.ProKnight => '圭',
        PieceType.ProSilver => '全',
        _ => MovePieceName(kind)[0],
    };

    private static string SideName(Color c) => c == Color.Black ? "先手" : "後手";

    /// <summary>The BOD diagram: White's hand, the board seen from Black, Black's hand, and <c>後手番</c> when White is to move.</summary>
    private static void AppendBoard(StringBuilder sb, Position position)
    {
        AppendHand(sb, position, Color.White);
        sb.Append("  ９ ８ ７ ６ ５ ４ ３ ２ １\n");
        sb.Append("+---------------------------+\n");
        for (int rank = 0; rank < 9; rank++)
        {
            sb.Append('|');
            for (int file = 9; file >= 1; file--)
            {
                int piece = position.PieceOn(Squares.Of(file, rank));
                if (piece == 0)
                    sb.Append(" ・");
                else
                    sb.Append(Pieces.ColorOf(piece) == Color.Black ? ' ' : 'v').Append(BoardPieceName(Pieces.TypeOf(piece)));
            }
            sb.Append('|').Append(RankKanji[rank]).Append('\n');
        }
        sb.Append("+---------------------------+\n");
        AppendHand(sb, position, Color.Black);
        if (position.SideToMove == Color.White) sb.Append("後手番\n");
    }

    /// <summary><c>先手の持駒：金　歩二　</c>, or <c>なし</c> for an empty hand.</summary>
    private static void AppendHand(StringBuilder sb, Position position, Color c)
    {
        sb.Append(SideName(c)).Append("の持駒：");
        bool any = false;
        foreach (var kind in HandOrder)
        {
            int n = position.HandCount(c, kind);
            if (n == 0) continue;
            any = true;
            sb.Append(MovePieceName(kind));
            if (n > 1) sb.Append(KanjiNumber(n));
            sb.Append('　');
        }
        if (!any) sb.Append("なし");
        sb.Append('\n');
    }

    /// <summary>2..18 in kanji: 二 .. 十, 十一 .. 十八.</summary>
    private static string KanjiNumber(int n) =>
        n <= 10 ? Numbers[n - 1].ToString() : "十" + Numbers[n - 11];

    /// <summary>
    /// The terminal move line (numbered after the last move), comment lines (<c>*</c>) saying why when there is more to say,
    /// and the <c>まで…</c> summary. An engine fault (disconnect, stall) is a foul by the side at fault, so that a reader
    /// sees the winner. A move-limit draw is written <c>持将棋</c>: the KIF format has no word for it, and 持将棋 is the
    /// draw that readers take for it (tsshogi 2.2.0 reads only 持将棋 and 千日手 as draws and writes its own move-limit
    /// endings as 持将棋); the comment line says it was the move limit.
    /// </summary>
    private static void AppendEnd(StringBuilder sb, GameRecord record, Color sideToMove)
    {
        if (record.Termination == TerminationReason.None) return;
        int plies = record.Moves.Count;
        var winner = RecordSupport.Winner(record, sideToMove);
        var loser = winner.Opponent();
        string prefix = string.Create(CultureInfo.InvariantCulture, $"まで{plies}手で");

        // 反則負け: the side to move lost by a foul; 反則勝ち: the side to move wins by the previous mover's foul.
        string foul = loser == sideToMove ? "反則負け" : "反則勝ち";
        (string terminal, string summary) = record.Termination switch
        {
            TerminationReason.Checkmate => ("詰み", "詰み"),
            TerminationReason.Resignation => ("投了", $"{SideName(winner)}の勝ち"),
            TerminationReason.Sennichite => ("千日手", "千日手"),
            TerminationReason.PerpetualCheck or TerminationReason.IllegalMove or TerminationReason.IllegalDeclaration
                or TerminationReason.Disconnect or TerminationReason.Stall =>
                (foul, $"{SideName(loser)}の反則負け"),
            TerminationReason.TimeForfeit => ("切れ負け", $"時間切れにより{SideName(winner)}の勝ち"),
            TerminationReason.EnteringKing => ("入玉勝ち", $"{SideName(winner)}の勝ち"),
            TerminationReason.MaxMoves => ("持将棋", "持将棋"),
            TerminationReason.Aborted => ("中断", "中断"),
            _ => throw new ArgumentOutOfRangeException(nameof(record), record.Termination, "unknown termination reason"),
        };
        AppendNumber(sb, plies + 1);
        sb.Append(terminal).Append('\n');
        foreach (string line in RecordSupport.EndComments(record)) sb.Append('*').Append(line).Append('\n');
        sb.Append(prefix).Append(summary).Append('\n');
    }
}
