using Keisei.Shogi.Records;

namespace Keisei.Shogi.Tests;

public class RecordWriterTests
{
    private static readonly DateTimeOffset Start = new(2024, 5, 6, 13, 45, 0, TimeSpan.FromHours(9));

    private static Move[] Parse(string startSfen, params string[] usi)
    {
        var position = Position.FromSfen(startSfen);
        var moves = new Move[usi.Length];
        for (int i = 0; i < usi.Length; i++)
        {
            moves[i] = UsiNotation.ParseMove(position, usi[i]);
            position.DoMove(moves[i]);
        }
        return moves;
    }

    private static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    // 同 (4, 10), 成 (3, 9), a declined promotion (7: the bishop enters the zone unpromoted), 打 (5); Black resigns.
    private static GameRecord ShortGame() => new(
        Position.StartSfen,
        Parse(Position.StartSfen, "7g7f", "3c3d", "8h2b+", "3a2b", "B*4e", "8c8d", "4e6c", "7a6b", "6c5b+", "4a5b"),
        GameResult.WhiteWin,
        TerminationReason.Resignation,
        "Alice",
        "Bob",
        Start,
        [.. new[] { 1, 0, 5, 3, 12.9, 61, 2, 0, 75, 4 }.Select(TimeSpan.FromSeconds)]);

    [Fact]
    public void KifOfShortGame()
    {
        var expected = Lines(
            "開始日時：2024/05/06 13:45:00",
            "手合割：平手",
            "先手：Alice",
            "後手：Bob",
            "手数----指手---------消費時間--",
            "   1 ７六歩(77)   ( 0:01/00:00:01)",
            "   2 ３四歩(33)   ( 0:00/00:00:00)",
            "   3 ２二角成(88) ( 0:05/00:00:06)",
            "   4 同　銀(31)   ( 0:03/00:00:03)",
            "   5 ４五角打     ( 0:12/00:00:18)",
            "   6 ８四歩(83)   ( 1:01/00:01:04)",
            "   7 ６三角(45)   ( 0:02/00:00:20)",
            "   8 ６二銀(71)   ( 0:00/00:01:04)",
            "   9 ５二角成(63) ( 1:15/00:01:35)",
            "  10 同　金(41)   ( 0:04/00:01:08)",
            "  11 投了",
            "まで10手で後手の勝ち");
        Assert.Equal(expected, KifWriter.Write(ShortGame()));
    }

    [Fact]
    public void CsaOfShortGame()
    {
        var expected = Lines(
            "V2.2",
            "N+Alice",
            "N-Bob",
            "$START_TIME:2024/05/06 13:45:00",
            "PI",
            "+",
            "+7776FU", "T1",
            "-3334FU", "T0",
            "+8822UM", "T5",
            "-3122GI", "T3",
            "+0045KA", "T12",
            "-8384FU", "T61",
            "+4563KA", "T2",
            "-7162GI", "T0",
            "+6352UM", "T75",
            "-4152KI", "T4",
            "%TORYO");
        Assert.Equal(expected, CsaWriter.Write(ShortGame()));
    }

    [Fact]
    public void WithoutTimesOrStartTimeTheTimesAreZeroAndTheHeaderLinesAreLeftOut()
    {
        var record = ShortGame() with { StartTime = null, MoveTimes = null };
        var kif = KifWriter.Write(record);
        Assert.StartsWith("手合割：平手\n", kif);
        Assert.Contains("\n   7 ６三角(45)   ( 0:00/00:00:00)\n", kif);
        Assert.Contains("\n  10 同　金(41)   ( 0:00/00:00:00)\n", kif);

        var csa = CsaWriter.Write(record);
        Assert.StartsWith("V2.2\nN+Alice\nN-Bob\nPI\n+\n+7776FU\n-3334FU\n", csa);
        Assert.DoesNotContain("\nT", csa);
        Assert.DoesNotContain("$START_TIME", csa);
    }

    // White to move, promoted pieces on both sides, both hands non-empty.
    private const string Problem = "ln1g1k2l/1r5+P1/p1pp5/9/9/9/P8/2+b6/4K3L w GS2Pbn 1";

    private static GameRecord ProblemGame() => new(
        Problem, Parse(Problem, "7h6i", "5i6i", "N*7g"), GameResult.WhiteWin, TerminationReason.TimeForfeit, "Sente", "Gote");

    [Fact]
    public void KifFromAnotherPositionHasABoardDiagram()
    {
        var expected = Lines(
            "後手の持駒：角　桂　",
            "  ９ ８ ７ ６ ５ ４ ３ ２ １",
            "+---------------------------+",
            "|v香v桂 ・v金 ・v玉 ・ ・v香|一",
            "| ・v飛 ・ ・ ・ ・ ・ と ・|二",
            "|v歩 ・v歩v歩 ・ ・ ・ ・ ・|三",
            "| ・ ・ ・ ・ ・ ・ ・ ・ ・|四",
            "| ・ ・ ・ ・ ・ ・ ・ ・ ・|五",
            "| ・ ・ ・ ・ ・ ・ ・ ・ ・|六",
            "| 歩 ・ ・ ・ ・ ・ ・ ・ ・|七",
            "| ・ ・v馬 ・ ・ ・ ・ ・ ・|八",
            "| ・ ・ ・ ・ 玉 ・ ・ ・ 香|九",
            "+---------------------------+",
            "先手の持駒：金　銀　歩二　",
            "後手番",
            "先手：Sente",
            "後手：Gote",
            "手数----指手---------消費時間--",
            "   1 ６九馬(78)   ( 0:00/00:00:00)",
            "   2 同　玉(59)   ( 0:00/00:00:00)",
            "   3 ７七桂打     ( 0:00/00:00:00)",
            "   4 切れ負け",
            "まで3手で時間切れにより後手の勝ち");
        Assert.Equal(expected, KifWriter.Write(ProblemGame()));
    }

    [Fact]
    public void CsaFromAnotherPositionHasBoardAndHandLines()
    {
        var expected = Lines(
            "V2.2",
            "N+Sente",
            "N-Gote",
            "P1-KY-KE * -KI * -OU *  * -KY",
            "P2 * -HI *  *  *  *  * +TO * ",
            "P3-FU * -FU-FU *  *  *  *  * ",
            "P4 *  *  *  *  *  *  *  *  * ",
            "P5 *  *  *  *  *  *  *  *  * ",
            "P6 *  *  *  *  *  *  *  *  * ",
            "P7+FU *  *  *  *  *  *  *  * ",
            "P8 *  * -UM *  *  *  *  *  * ",
            "P9 *  *  *  * +OU *  *  * +KY",
            "P+00KI00GI00FU00FU",
            "P-00KA00KE",
            "-",
            "-7869UM",
            "+5969OU",
            "-0077KE",
            "%TIME_UP");
        Assert.Equal(expected, CsaWriter.Write(ProblemGame()));
    }

    [Fact]
    public void StandardStartIsRecognisedWhateverTheMoveNumber()
    {
        var record = new GameRecord(
            "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 37", [], GameResult.Ongoing, TerminationReason.None, "B", "W");
        Assert.Equal(Lines("手合割：平手", "先手：B", "後手：W", "手数----指手---------消費時間--"), KifWriter.Write(record));
        Assert.Equal(Lines("V2.2", "N+B", "N-W", "PI", "+"), CsaWriter.Write(record));
    }

    [Fact]
    public void StartArrangementWithWhiteToMoveIsNotTheStandardStart()
    {
        var record = new GameRecord(
            "lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL w - 1", [], GameResult.Ongoing, TerminationReason.None, "B", "W");
        var kif = KifWriter.Write(record);
        Assert.DoesNotContain("手合割", kif);
        Assert.StartsWith("後手の持駒：なし\n", kif);
        Assert.Contains("\n|v香v桂v銀v金v玉v金v銀v桂v香|一\n| ・v飛 ・ ・ ・ ・ ・v角 ・|二\n", kif);
        Assert.Contains("\n| ・ 角 ・ ・ ・ ・ ・ 飛 ・|八\n| 香 桂 銀 金 玉 金 銀 桂 香|九\n", kif);
        Assert.Contains("\n先手の持駒：なし\n後手番\n", kif);

        var csa = CsaWriter.Write(record);
        Assert.DoesNotContain("PI", csa);
        Assert.Contains("\nP1-KY-KE-GI-KI-OU-KI-GI-KE-KY\nP2 * -HI *  *  *  *  * -KA * \n", csa);
        Assert.Contains("\nP9+KY+KE+GI+KI+OU+KI+GI+KE+KY\n-\n", csa);
        Assert.DoesNotContain("P+", csa);
        Assert.DoesNotContain("P-", csa);
    }

    [Fact]
    public void LargeHandCountsAreWrittenInKanjiAndEachPieceInCsa()
    {
        var record = new GameRecord("4k4/9/9/9/9/9/9/9/4K4 b 12Pr 1", [], GameResult.Ongoing, TerminationReason.None, "B", "W");
        var kif = KifWriter.Write(record);
        Assert.StartsWith("後手の持駒：飛　\n", kif);
        Assert.Contains("\n先手の持駒：歩十二　\n", kif);
        Assert.DoesNotContain("後手番", kif);
        Assert.Contains("\nP+" + string.Concat(Enumerable.Repeat("00FU", 12)) + "\nP-00HI\n+\n", CsaWriter.Write(record));
    }

    [Fact]
    public void PromotedPiecesMovingAreNamedInFullAndNeverNotPromoted()
    {
        // Black's promoted silver, lance and knight and a dragon move inside the zone.
        const string sfen = "8k/9/+S+L+N1+R4/9/9/9/9/9/4K4 b - 1";
        var record = new GameRecord(
            sfen, Parse(sfen, "9c9b", "1a2a", "8c8b", "2a1a", "7c7b", "1a2a", "5c5b"), GameResult.Ongoing, TerminationReason.None, "B", "W");
        var kif = KifWriter.Write(record);
        Assert.Contains("   1 ９二成銀(93) (", kif);
        Assert.Contains("   3 ８二成香(83) (", kif);
        Assert.Contains("   5 ７二成桂(73) (", kif);
        Assert.Contains("   7 ５二龍(53)   (", kif);
        Assert.DoesNotContain("不成", kif);
        Assert.Contains("\n+9392NG\n-1121OU\n+8382NY\n-2111OU\n+7372NK\n-1121OU\n+5352RY\n", CsaWriter.Write(record));
    }

    [Fact]
    public void DeclinedPromotionIsWrittenWithoutNotPromotedSuffix()
    {
        // A silver steps out of the zone without promoting: no 不成 (not in the Kakinoki definition; readers stop there).
        const string sfen = "4k4/9/4S4/4G4/9/9/9/9/4K4 b - 1";
        var record = new GameRecord(
            sfen, Parse(sfen, "5c4d", "5a4a", "5d5c"), GameResult.Ongoing, TerminationReason.None, "B", "W");
        var kif = KifWriter.Write(record);
        Assert.Contains("   1 ４四銀(53)   (", kif);
        Assert.DoesNotContain("不成", kif);
        Assert.Contains("   3 ５三金(54)   (", kif);
        Assert.Contains("\n+5344GI\n-5141OU\n+5453KI\n", CsaWriter.Write(record));
    }

    private const string PerpetualComment = "連続王手の千日手による負け (perpetual check: the checking side loses)";
    private const string DeclarationComment = "条件を満たさない入玉宣言による負け (invalid entering-king declaration)";
    private const string MaxMovesComment = "最大手数に達したため引き分け (move limit reached: a draw)";
    private const string DisconnectComment = "接続切れによる負け (disconnect: the side at fault loses)";
    private const string StallComment = "応答なしによる負け (stall: the side at fault loses)";

    public static TheoryData<TerminationReason, GameResult, string, string, string> Terminations => new()
    {
        // After 1. 7g7f White is to move.
        { TerminationReason.Resignation, GameResult.BlackWin, "投了", "先手の勝ち", "%TORYO" },
        { TerminationReason.Checkmate, GameResult.BlackWin, "詰み", "詰み", "%TSUMI" },
        { TerminationReason.Sennichite, GameResult.Draw, "千日手", "千日手", "%SENNICHITE" },
        // A foul of the side to move is %ILLEGAL_MOVE in CSA, a foul of the other side %±ILLEGAL_ACTION; the comment says which foul.
        { TerminationReason.PerpetualCheck, GameResult.BlackWin, "反則負け\n*" + PerpetualComment, "後手の反則負け", "%ILLEGAL_MOVE\n'*" + PerpetualComment },
        { TerminationReason.PerpetualCheck, GameResult.WhiteWin, "反則勝ち\n*" + PerpetualComment, "先手の反則負け", "%+ILLEGAL_ACTION\n'*" + PerpetualComment },
        { TerminationReason.IllegalMove, GameResult.BlackWin, "反則負け", "後手の反則負け", "%ILLEGAL_MOVE" },
        { TerminationReason.IllegalMove, GameResult.WhiteWin, "反則勝ち", "先手の反則負け", "%+ILLEGAL_ACTION" },
        { TerminationReason.IllegalDeclaration, GameResult.BlackWin, "反則負け\n*" + DeclarationComment, "後手の反則負け", "%ILLEGAL_MOVE\n'*" + DeclarationComment },
        { TerminationReason.TimeForfeit, GameResult.BlackWin, "切れ負け", "時間切れにより先手の勝ち", "%TIME_UP" },
        { TerminationReason.EnteringKing, GameResult.WhiteWin, "入玉勝ち", "後手の勝ち", "%KACHI" },
        { TerminationReason.MaxMoves, GameResult.Draw, "持将棋\n*" + MaxMovesComment, "持将棋", "%MAX_MOVES\n'*" + MaxMovesComment },
        { TerminationReason.Aborted, GameResult.Ongoing, "中断", "中断", "%CHUDAN" },
        // An engine fault is a foul of the side at fault: White (to move) here, then Black (who made the last move).
        { TerminationReason.Disconnect, GameResult.BlackWin, "反則負け\n*" + DisconnectComment, "後手の反則負け", "%ILLEGAL_MOVE\n'*" + DisconnectComment },
        { TerminationReason.Stall, GameResult.WhiteWin, "反則勝ち\n*" + StallComment, "先手の反則負け", "%+ILLEGAL_ACTION\n'*" + StallComment },
    };

    [Theory]
    [MemberData(nameof(Terminations))]
    public void EachTerminationHasItsEndLinesAndToken(
        TerminationReason reason, GameResult result, string kifMove, string kifSummary, string csaToken)
    {
        var record = new GameRecord(Position.StartSfen, Parse(Position.StartSfen, "7g7f"), result, reason, "B", "W");
        Assert.EndsWith($"( 0:00/00:00:00)\n   2 {kifMove}\nまで1手で{kifSummary}\n", KifWriter.Write(record));
        Assert.EndsWith($"\n+7776FU\n{csaToken}\n", CsaWriter.Write(record));
    }

    [Fact]
    public void TheDetailIsACommentOnTheEndOnOneLine()
    {
        var record = new GameRecord(Position.StartSfen, Parse(Position.StartSfen, "7g7f"), GameResult.BlackWin, TerminationReason.Stall,
            "B", "W", Detail: "White: no readyok\nwithin 30 s");
        Assert.EndsWith($"\n   2 反則負け\n*{StallComment}\n*White: no readyok within 30 s\nまで1手で後手の反則負け\n", KifWriter.Write(record));
        Assert.EndsWith($"\n%ILLEGAL_MOVE\n'*{StallComment}\n'*White: no readyok within 30 s\n", CsaWriter.Write(record));

        var resigned = record with { Termination = TerminationReason.Resignation, Detail = "White resigned: its value stayed low" };
        Assert.EndsWith("\n   2 投了\n*White resigned: its value stayed low\nまで1手で先手の勝ち\n", KifWriter.Write(resigned));
        Assert.EndsWith("\n%TORYO\n'*White resigned: its value stayed low\n", CsaWriter.Write(resigned));
    }

    [Fact]
    public void UnfinishedGameHasNoEndLines()
    {
        var record = new GameRecord(Position.StartSfen, Parse(Position.StartSfen, "7g7f"), GameResult.Ongoing, TerminationReason.None, "B", "W");
        Assert.EndsWith("\n   1 ７六歩(77)   ( 0:00/00:00:00)\n", KifWriter.Write(record));
        Assert.EndsWith("\n+\n+7776FU\n", CsaWriter.Write(record));
    }

    private static void Shuffle(Game game, int plies, params string[] cycle)
    {
        for (int i = 0; i < plies; i++) Assert.True(game.Play(UsiNotation.ParseMove(game.Position, cycle[i % cycle.Length])));
    }

    [Fact]
    public void RepetitionFromAPlayedGame()
    {
        var game = new Game();
        Shuffle(game, 12, "5i5h", "5a5b", "5h5i", "5b5a");
        Assert.Equal(TerminationReason.Sennichite, game.Termination);
        var record = game.ToRecord("B", "W");
        Assert.EndsWith("\n  12 ５一玉(52)   ( 0:00/00:00:00)\n  13 千日手\nまで12手で千日手\n", KifWriter.Write(record));
        Assert.EndsWith("\n-5251OU\n%SENNICHITE\n", CsaWriter.Write(record));
    }

    [Fact]
    public void PerpetualCheckCompletedByTheEscapeIsAFoulLossOfTheSideToMove()
    {
        // Black's rook checks from files 1 and 2 in turn; the fourth repetition comes with White's king move.
        var game = new Game(startSfen: "8k/9/9/9/9/9/9/9/K6R1 b - 1");
        Shuffle(game, 12, "2i1i", "1a2a", "1i2i", "2a1a");
        Assert.Equal((GameResult.WhiteWin, TerminationReason.PerpetualCheck), (game.Result, game.Termination));
        var record = game.ToRecord("B", "W");
        Assert.EndsWith($"\n  13 反則負け\n*{PerpetualComment}\nまで12手で先手の反則負け\n", KifWriter.Write(record));
        Assert.EndsWith($"\n-2111OU\n%ILLEGAL_MOVE\n'*{PerpetualComment}\n", CsaWriter.Write(record));
    }

    [Fact]
    public void PerpetualCheckCompletedByTheCheckIsAFoulWinOfTheSideToMove()
    {
        // Same cycle entered with White to move: the fourth repetition comes with Black's checking move.
        var game = new Game(startSfen: "8k/9/9/9/9/9/9/9/K7R w - 1");
        Shuffle(game, 12, "1a2a", "1i2i", "2a1a", "2i1i");
        Assert.Equal((GameResult.WhiteWin, TerminationReason.PerpetualCheck), (game.Result, game.Termination));
        var record = game.ToRecord("B", "W");
        var kif = KifWriter.Write(record);
        Assert.Contains("\n後手番\n", kif);
        Assert.EndsWith($"\n  12 １九飛(29)   ( 0:00/00:00:00)\n  13 反則勝ち\n*{PerpetualComment}\nまで12手で先手の反則負け\n", kif);
        Assert.EndsWith($"\n+2919HI\n%+ILLEGAL_ACTION\n'*{PerpetualComment}\n", CsaWriter.Write(record));
    }

    [Fact]
    public void IllegalMoveFromAPlayedGame()
    {
        var game = new Game();
        Assert.True(game.Play(UsiNotation.ParseMove(game.Position, "7g7f")));
        Assert.False(game.Play(Move.Board(Squares.Of(3, 2), Squares.Of(3, 4))));
        var record = game.ToRecord("B", "W");
        Assert.EndsWith("\n   2 反則負け\nまで1手で後手の反則負け\n", KifWriter.Write(record));
        Assert.EndsWith("\n+7776FU\n%ILLEGAL_MOVE\n", CsaWriter.Write(record));
    }

    [Fact]
    public void MismatchedMoveTimesAreRejected()
    {
        var record = ShortGame() with { MoveTimes = [TimeSpan.FromSeconds(1)] };
        Assert.Throws<ArgumentException>(() => KifWriter.Write(record));
        Assert.Throws<ArgumentException>(() => CsaWriter.Write(record));
    }

    [Fact]
    public void IllegalMovesInTheRecordAreRejected()
    {
        var record = new GameRecord(
            Position.StartSfen, [Move.Board(Squares.Of(7, 6), Squares.Of(7, 5)), Move.Board(Squares.Of(7, 5), Squares.Of(7, 4))],
            GameResult.Ongoing, TerminationReason.None, "B", "W");
        var e = Assert.Throws<ArgumentException>(() => KifWriter.Write(record));
        Assert.Contains("move 2 (7f7e)", e.Message);
        Assert.Throws<ArgumentException>(() => CsaWriter.Write(record));
    }
}
