namespace Keisei.Shogi.Tests;

public class GameTests
{
    private static void PlayAll(Game game, params string[] moves)
    {
        foreach (var usi in moves)
        {
            Assert.False(game.IsOver, $"game ended ({game.Result}, {game.Termination}) before {usi}");
            Assert.True(game.Play(Util.M(usi)), $"{usi} rejected in {game.Position.ToSfen()}");
        }
    }

    // ---------------------------------------------------------------- checkmate / no legal move

    [Fact]
    public void CheckmateByBlackEndsTheGameAsABlackWin()
    {
        // Gold drop on 1b protected by the pawn on 1c ("atama-kin").
        var game = new Game(startSfen: "8k/9/8P/9/9/9/9/9/4K4 b G 1");
        Assert.False(game.IsOver);
        PlayAll(game, "G*1b");
        Assert.True(game.Position.InCheck);
        Assert.True(game.IsOver);
        Assert.Equal(GameResult.BlackWin, game.Result);
        Assert.Equal(TerminationReason.Checkmate, game.Termination);
        Assert.Throws<InvalidOperationException>(() => game.Play(Util.M("1a2a")));
    }

    [Fact]
    public void UndoTakesBackAMateAndTheGameIsOngoingAgain()
    {
        var game = new Game(startSfen: "8k/9/8P/9/9/9/9/9/4K4 b G 1");
        string before = game.Position.ToSfen();
        PlayAll(game, "G*1b");
        Assert.True(game.IsOver);
        game.Undo();
        Assert.False(game.IsOver);
        Assert.Equal(TerminationReason.None, game.Termination);
        Assert.Equal(before, game.Position.ToSfen());
        Assert.Empty(game.Moves);
        Assert.Throws<InvalidOperationException>(game.Undo);
        PlayAll(game, "G*1b");
        Assert.Equal(GameResult.BlackWin, game.Result);
    }

    [Fact]
    public void UndoForgetsTheTakenBackPositionForRepetition()
    {
        var game = new Game();
        PlayAll(game, "5i4h", "5a4b", "4h5i", "4b5a");
        Assert.Equal(2, game.RepetitionCount());
        game.Undo();
        game.Undo();
        Assert.Equal(1, game.RepetitionCount());
        game.Resign(Color.Black);
        Assert.Throws<InvalidOperationException>(game.Undo);
    }

    [Fact]
    public void CheckmateByWhiteEndsTheGameAsAWhiteWin()
    {
        // The same mate turned 180°.
        var game = new Game(startSfen: "4k4/9/9/9/9/9/p8/9/K8 w g 1");
        PlayAll(game, "G*9h");
        Assert.True(game.Position.InCheck);
        Assert.Equal(GameResult.WhiteWin, game.Result);
        Assert.Equal(TerminationReason.Checkmate, game.Termination);
    }

    [Fact]
    public void NoLegalMoveAtTheStartIsALossForTheSideToMove()
    {
        var game = new Game(startSfen: "+R+N+SGKG+S+N+R/+B+N+SG+LG+S+N+B/P+LPP+LPP+LP/1P2P2P1/9/9/9/9/4k4 b 9P 200");
        Assert.False(game.Position.InCheck);
        Assert.True(game.IsOver);
        Assert.Equal(GameResult.WhiteWin, game.Result);
        Assert.Equal(TerminationReason.Checkmate, game.Termination);
    }

    [Fact]
    public void LeavingTheOpponentWithNoLegalMoveWinsEvenWithoutCheck()
    {
        // As above, but White is to move (king 4i) and plays 4i5i: Black is left without a move, not in check.
        var game = new Game(startSfen: "+R+N+SGKG+S+N+R/+B+N+SG+LG+S+N+B/P+LPP+LPP+LP/1P2P2P1/9/9/9/9/5k3 w 9P 199");
        Assert.False(game.IsOver);
        PlayAll(game, "4i5i");
        Assert.False(game.Position.InCheck);
        Assert.Equal(GameResult.WhiteWin, game.Result);
        Assert.Equal(TerminationReason.Checkmate, game.Termination);
    }

    // ---------------------------------------------------------------- repetition

    [Fact]
    public void SennichiteIsADrawOnTheFourthOccurrenceNotTheThird()
    {
        var game = new Game();
        string[] cycle = ["2h3h", "8b7b", "3h2h", "7b8b"];
        Assert.Equal(1, game.RepetitionCount());
        PlayAll(game, cycle);
        Assert.Equal(2, game.RepetitionCount());
        PlayAll(game, cycle);
        Assert.Equal(3, game.RepetitionCount());
        Assert.False(game.IsOver); // third occurrence: play on
        PlayAll(game, "2h3h", "8b7b", "3h2h");
        Assert.False(game.IsOver);
        PlayAll(game, "7b8b");
        Assert.Equal(4, game.RepetitionCount());
        Assert.Equal(GameResult.Draw, game.Result);
        Assert.Equal(TerminationReason.Sennichite, game.Termination);
        Assert.Equal(12, game.Plies);
    }

    [Fact]
    public void PerpetualCheckByBlackLosesForBlack()
    {
        // Black rook alternates 9a/9b, checking the White king on ranks a and b every time; the king shuffles 1b/1a.
        var game = new Game(startSfen: "R8/8k/9/9/9/9/9/9/4K4 b - 1");
        Assert.False(game.Position.InCheck);
        string[] cycle = ["9a9b", "1b1a", "9b9a", "1a1b"];
        for (int i = 0; i < 3; i++)
        {
            Assert.False(game.IsOver);
            foreach (var usi in cycle)
            {
                PlayAll(game, usi);
                if (usi[0] == '9') Assert.True(game.Position.InCheck, $"{usi} should give check");
            }
        }
        Assert.Equal(4, game.RepetitionCount());
        Assert.Equal(TerminationReason.PerpetualCheck, game.Termination);
        Assert.Equal(GameResult.WhiteWin, game.Result);
    }

    [Fact]
    public void PerpetualCheckByWhiteLosesForWhite()
    {
        // The position above turned 180°: the White rook on 1i/1h checks the Black king on 9h/9i.
        var game = new Game(startSfen: "4k4/9/9/9/9/9/9/K8/8r w - 1");
        string[] cycle = ["1i1h", "9h9i", "1h1i", "9i9h"];
        for (int i = 0; i < 3; i++)
            foreach (var usi in cycle)
            {
                PlayAll(game, usi);
                if (usi[0] == '1') Assert.True(game.Position.InCheck, $"{usi} should give check");
            }
        Assert.Equal(TerminationReason.PerpetualCheck, game.Termination);
        Assert.Equal(GameResult.BlackWin, game.Result);
    }

    [Fact]
    public void RepetitionWithChecksOnOnlySomeMovesIsAPlainDraw()
    {
        // The Black rook checks from 9a, then goes back to 9c without check.
        var game = new Game(startSfen: "8k/9/R8/9/9/9/9/9/4K4 b - 1");
        string[] cycle = ["9c9a", "1a1b", "9a9c", "1b1a"];
        for (int i = 0; i < 3; i++) PlayAll(game, cycle);
        Assert.Equal(GameResult.Draw, game.Result);
        Assert.Equal(TerminationReason.Sennichite, game.Termination);
    }

    // ---------------------------------------------------------------- max moves

    [Fact]
    public void MaxPliesEndsTheGameAsADraw()
    {
        var game = new Game(new GameRules { MaxPlies = 4 });
        PlayAll(game, "7g7f", "3c3d", "2g2f");
        Assert.False(game.IsOver);
        PlayAll(game, "8c8d");
        Assert.Equal(GameResult.Draw, game.Result);
        Assert.Equal(TerminationReason.MaxMoves, game.Termination);
    }

    [Fact]
    public void MateOnTheLastAllowedPlyIsAWin()
    {
        const string sfen = "8k/9/8P/9/9/9/9/9/4K4 b G 1";
        var mate = new Game(new GameRules { MaxPlies = 1 }, sfen);
        PlayAll(mate, "G*1b");
        Assert.Equal(GameResult.BlackWin, mate.Result);
        Assert.Equal(TerminationReason.Checkmate, mate.Termination);

        var quiet = new Game(new GameRules { MaxPlies = 1 }, sfen);
        PlayAll(quiet, "5i5h");
        Assert.Equal(GameResult.Draw, quiet.Result);
        Assert.Equal(TerminationReason.MaxMoves, quiet.Termination);
    }

    // ---------------------------------------------------------------- illegal moves, resignation

    [Fact]
    public void IllegalMoveByBlackLoses()
    {
        var game = new Game();
        Assert.False(game.Play(Util.M("7g7e")));
        Assert.Equal(GameResult.WhiteWin, game.Result);
        Assert.Equal(TerminationReason.IllegalMove, game.Termination);
        Assert.Equal(0, game.Plies);
        Assert.Equal(Position.StartSfen, game.Position.ToSfen());
    }

    [Fact]
    public void IllegalMoveByWhiteLoses()
    {
        var game = new Game();
        PlayAll(game, "7g7f");
        Assert.False(game.Play(Util.M("P*5e"))); // White has no pawn in hand
        Assert.Equal(GameResult.BlackWin, game.Result);
        Assert.Equal(TerminationReason.IllegalMove, game.Termination);
    }

    [Fact]
    public void UchiFuZumeViaPlayIsAnIllegalMoveLoss()
    {
        var game = new Game(startSfen: "8k/9/6NS1/9/9/9/9/9/4K4 b P 1");
        Assert.False(game.Play(Util.M("P*1b")));
        Assert.Equal(GameResult.WhiteWin, game.Result);
        Assert.Equal(TerminationReason.IllegalMove, game.Termination);
    }

    [Theory]
    [InlineData(Color.Black, GameResult.WhiteWin)]
    [InlineData(Color.White, GameResult.BlackWin)]
    public void Resign(Color loser, GameResult expected)
    {
        var game = new Game();
        PlayAll(game, "7g7f");
        game.Resign(loser);
        Assert.True(game.IsOver);
        Assert.Equal(expected, game.Result);
        Assert.Equal(TerminationReason.Resignation, game.Termination);
    }

    // ---------------------------------------------------------------- entering-king declaration

    // Black: king 5b; R B 2G 2S on rank a, 2N 2L on rank c (10 pieces, 18 points in camp); White king 1i.
    private const string BlackDeclares28 = "RBGGSS3/4K4/NNLL5/9/9/9/9/9/8k b 10P 1";
    // White: the same turned 180° with colours swapped, 9 pawns in hand: 27 points.
    private const string WhiteDeclares27 = "K8/9/9/9/9/9/5llnn/4k4/3ssggbr w 9p 1";

    [Fact]
    public void BlackDeclarationWith28PointsWins()
    {
        var game = new Game(startSfen: BlackDeclares28);
        Assert.Equal(28, game.Position.EnteringKingPoints(Color.Black, out int inCamp));
        Assert.Equal(10, inCamp);
        Assert.True(game.Position.CanDeclareEnteringKingWin());
        Assert.True(game.DeclareWin());
        Assert.Equal(GameResult.BlackWin, game.Result);
        Assert.Equal(TerminationReason.EnteringKing, game.Termination);
    }

    [Fact]
    public void WhiteDeclarationWith27PointsWins()
    {
        var game = new Game(startSfen: WhiteDeclares27);
        Assert.Equal(27, game.Position.EnteringKingPoints(Color.White, out int inCamp));
        Assert.Equal(10, inCamp);
        Assert.True(game.DeclareWin());
        Assert.Equal(GameResult.WhiteWin, game.Result);
        Assert.Equal(TerminationReason.EnteringKing, game.Termination);
    }

    public static TheoryData<string, string> InvalidDeclarations => new()
    {
        // Black with only 27 points (27 is enough for White, not for Black).
        { "RBGGSS3/4K4/NNLL5/9/9/9/9/9/8k b 9P 1", "27 points for Black" },
        // A lance moved from the camp to the hand: still 28 points, but only 9 pieces in the camp.
        { "RBGGSS3/4K4/NNL6/9/9/9/9/9/8k b L10P 1", "9 pieces in camp" },
        // King on 5d, outside the camp.
        { "RBGGSS3/9/NNLL5/4K4/9/9/9/9/8k b 10P 1", "king outside the camp" },
        // White gold on 5c checks the king on 5b.
        { "RBGGSS3/4K4/NNLLg4/9/9/9/9/9/8k b 10P 1", "in check" },
        // White with 26 points.
        { "K8/9/9/9/9/9/5llnn/4k4/3ssggbr w 8p 1", "26 points for White" },
        // White with 9 pieces in camp (a lance in hand instead).
        { "K8/9/9/9/9/9/6lnn/4k4/3ssggbr w l9p 1", "9 pieces in camp (White)" },
    };

    [Theory]
    [MemberData(nameof(InvalidDeclarations))]
    public void InvalidDeclarationLoses(string sfen, string why)
    {
        var game = new Game(startSfen: sfen);
        var declarer = game.SideToMove;
        Assert.False(game.Position.CanDeclareEnteringKingWin(), why);
        Assert.False(game.DeclareWin(), why);
        Assert.Equal(declarer == Color.Black ? GameResult.WhiteWin : GameResult.BlackWin, game.Result);
        Assert.Equal(TerminationReason.IllegalDeclaration, game.Termination);
    }

    [Fact]
    public void InCheckIsTheOnlyFailingConditionOfTheCheckedDeclaration()
    {
        var p = Util.Pos("RBGGSS3/4K4/NNLLg4/9/9/9/9/9/8k b 10P 1");
        Assert.True(p.InCheck);
        Assert.Equal(28, p.EnteringKingPoints(Color.Black, out int inCamp));
        Assert.Equal(10, inCamp);
        Assert.False(p.CanDeclareEnteringKingWin());
    }

    [Fact]
    public void DeclarationLosesWhenTheRuleIsOff()
    {
        var game = new Game(new GameRules { AllowEnteringKingDeclaration = false }, BlackDeclares28);
        Assert.False(game.DeclareWin());
        Assert.Equal(GameResult.WhiteWin, game.Result);
        Assert.Equal(TerminationReason.IllegalDeclaration, game.Termination);
    }

    [Fact]
    public void EnteringKingPointsCount()
    {
        // Black in camp (ranks a-c): king 5a (not counted), dragon 1a (5), horse 2b (5), tokin 3c (1), gold 9c (1);
        // silver 5e outside the camp (not counted); hand R B 2P (5 + 5 + 2). White: king 5i, 2 golds in hand.
        var p = Util.Pos("4K3+R/7+B1/G5+P2/9/4S4/9/9/9/4k4 b RB2P2g 1");
        Assert.Equal("+R", Util.At(p, "1a"));
        Assert.Equal("+B", Util.At(p, "2b"));
        Assert.Equal("+P", Util.At(p, "3c"));
        Assert.Equal("G", Util.At(p, "9c"));
        Assert.Equal(5 + 5 + 1 + 1 + 5 + 5 + 2, p.EnteringKingPoints(Color.Black, out int blackInCamp));
        Assert.Equal(4, blackInCamp);
        Assert.Equal(2, p.EnteringKingPoints(Color.White, out int whiteInCamp));
        Assert.Equal(0, whiteInCamp);
    }

    [Fact]
    public void EnteringKingPointsCountUnpromotedBigPiecesAsFive()
    {
        // White in its camp (ranks g-i): rook 9i, bishop 8i, pawn 7g; king 5h not counted; hand: bishop. Black king 1a.
        var p = Util.Pos("8K/9/9/9/9/9/2p6/4k4/rb7 w b 1");
        Assert.Equal(5 + 5 + 1 + 5, p.EnteringKingPoints(Color.White, out int inCamp));
        Assert.Equal(3, inCamp);
    }
}

public sealed class SmallHelperTests
{
    [Fact]
    public void SplitMix64MatchesTheReferenceSequence()
    {
        // Reference outputs of SplitMix64 from state 0 (Vigna's splitmix64.c).
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, SplitMix64.Next(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, SplitMix64.Next(ref state));
        Assert.Equal(0x06C45D188009454FUL, SplitMix64.Next(ref state));
    }

    [Theory]
    [InlineData(GameResult.BlackWin, 1.0, 0.0)]
    [InlineData(GameResult.WhiteWin, 0.0, 1.0)]
    [InlineData(GameResult.Draw, 0.5, 0.5)]
    public void AResultScoresEachSide(GameResult result, double black, double white)
    {
        Assert.Equal(black, result.ScoreFor(Color.Black));
        Assert.Equal(white, result.ScoreFor(Color.White));
    }

    [Fact]
    public void AnOngoingGameHasNoScore() => Assert.Throws<InvalidOperationException>(() => GameResult.Ongoing.ScoreFor(Color.Black));
}
