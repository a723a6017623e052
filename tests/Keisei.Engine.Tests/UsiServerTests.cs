using Keisei.Search;
using Keisei.Shogi;

namespace Keisei.Engine.Tests;

public sealed class UsiServerTests(TinyCheckpoint checkpoint) : IClassFixture<TinyCheckpoint>
{
    /// <summary>Black may declare (28 points, king in the enemy camp, ten pieces there, not in check).</summary>
    private const string BlackDeclares = "RBGGSS3/4K4/NNLL5/9/9/9/9/9/8k b 10P 1";

    private EngineHarness Engine(SearchOptions? search = null, int constPlayout = 0) =>
        new(new EngineDefaults { Model = checkpoint.Path, Search = search ?? new SearchOptions(), ConstPlayout = constPlayout });

    private static Move BestMoveIn(string line, Position position)
    {
        var words = line.Split(' ');
        Assert.Equal("bestmove", words[0]);
        return UsiNotation.ParseMove(position, words[1]);
    }

    private static Position After(params string[] moves)
    {
        var position = Position.StartPosition();
        foreach (string m in moves) position.DoMove(UsiNotation.ParseMove(position, m));
        return position;
    }

    [Fact]
    public async Task UsiAnswersAtOnceWithTheModelsHashAndEveryOptionAndLoadsNothing()
    {
        await using var engine = Engine();
        await engine.AskAsync("usi", l => l == "usiok", "usiok");
        var lines = engine.Lines;
        Assert.Equal($"id name Keisei {UsiServer.Version} {checkpoint.Sha256[..8]}", lines[0]);
        Assert.StartsWith("id author ", lines[1]);
        foreach (string option in new[] { "DNN_Model", "Device", "Threads", "DNN_Batch_Size", "Const_Playout", "SearchMode", "Resign_Threshold", "Draw_Ply",
            "MultiPV", "Random_Ply", "Temperature", "NetworkDelay", "MinimumThinkingTime", "USI_Hash", "USI_Ponder" })
            Assert.Contains(lines, l => l.StartsWith($"option name {option} type ", StringComparison.Ordinal));
        Assert.Contains($"option name DNN_Model type filename default {checkpoint.Path}", lines);
        Assert.Contains("option name SearchMode type combo default mcts var mcts var policy", lines);
        Assert.DoesNotContain(lines, l => l.Contains("loaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutAModelTheNameHasNoHashAndIsreadySaysWhatIsMissing()
    {
        await using var engine = new EngineHarness(new EngineDefaults());
        await engine.AskAsync("usi", l => l == "usiok", "usiok");
        Assert.Equal($"id name Keisei {UsiServer.Version}", engine.Lines[0]);
        Assert.Contains("option name DNN_Model type filename default <empty>", engine.Lines);
        string error = await engine.AskAsync("isready", l => l.StartsWith("info string error", StringComparison.Ordinal), "an error");
        Assert.Contains("DNN_Model is not set", error);
        await engine.AskAsync("usi", l => l == "usiok", "usiok");
        Assert.DoesNotContain("readyok", engine.Lines);
    }

    [Fact]
    public async Task IsreadyLoadsAndVerifiesTheModelThenAnswersReadyok()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        Assert.Contains(engine.Lines, l => l.StartsWith("info string loaded", StringComparison.Ordinal) && l.Contains(checkpoint.Sha256[..8], StringComparison.Ordinal));
        await engine.AskAsync("isready", l => l == "readyok", "a second readyok");
        Assert.Single(engine.Lines, l => l.StartsWith("info string loaded", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("absent.ckpt", null, "does not exist")]
    [InlineData("notes.ckpt", "These are notes, not a network, but long enough for a header.", "not a Keisei checkpoint")]
    [InlineData("short.ckpt", "KEISEICK", "truncated")]
    public async Task AMissingOrDamagedModelIsAnErrorNamingTheFileAndNoReadyok(string name, string? content, string problem)
    {
        string path = checkpoint.File(name);
        if (content is not null) File.WriteAllText(path, content);
        await using var engine = Engine();
        await engine.AskAsync("usi", l => l == "usiok", "usiok");
        string error = await engine.AskAsync([$"setoption name DNN_Model value {path}", "isready"],
            l => l.StartsWith("info string error", StringComparison.Ordinal), "an error");
        Assert.Contains(path, error);
        Assert.Contains(problem, error);
        await engine.AskAsync("usi", l => l == "usiok", "usiok");
        Assert.DoesNotContain("readyok", engine.Lines);
        // The engine keeps working: a good model makes it ready.
        await engine.AskAsync([$"setoption name DNN_Model value {checkpoint.Path}", "isready"], l => l == "readyok", "readyok");
    }

    [Fact]
    public async Task ACudaDeviceWhereThereIsNoneIsAnErrorAndNoReadyok()
    {
        if (TorchSharp.torch.cuda.is_available()) return; // the point is a machine without CUDA
        await using var engine = Engine();
        string error = await engine.AskAsync(["usi", "setoption name Device value cuda", "isready"],
            l => l.StartsWith("info string error", StringComparison.Ordinal), "an error");
        Assert.Contains("Device", error);
        Assert.Contains("cuda", error);
        await engine.AskAsync("usi", l => l == "usiok", "usiok");
        Assert.DoesNotContain("readyok", engine.Lines);
    }

    [Fact]
    public async Task GoNodesAnswersExactlyOneLegalBestmoveAfterInfoWithEveryField()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        string best = await engine.AskAsync(["usinewgame", "position startpos moves 7g7f", "go nodes 30"], EngineHarness.IsBestMove, "bestmove");
        BestMoveIn(best, After("7g7f"));
        await engine.AskAsync("isready", l => l == "readyok", "readyok");
        Assert.Equal(1, engine.Count(EngineHarness.IsBestMove));
        int at = engine.Lines.ToList().IndexOf(best);
        string info = engine.Lines[at - 1];
        foreach (string field in new[] { "depth ", "seldepth ", "time ", "nodes 30 ", "nps ", "hashfull ", "score cp ", "pv " })
            Assert.Contains(field, info);
        Assert.DoesNotContain("multipv", info);
        Assert.Contains(info.Split(" pv ")[1].Split(' ')[0], best);
    }

    [Fact]
    public async Task ConstPlayoutSetsThePlayoutsOfAGoWithoutLimits()
    {
        await using var engine = Engine(constPlayout: 12);
        await engine.ReadyAsync();
        await engine.AskAsync(["position startpos", "go"], EngineHarness.IsBestMove, "bestmove");
        Assert.Contains(engine.Lines, l => l.Contains(" nodes 12 ", StringComparison.Ordinal));
        await engine.AskAsync(["setoption name Const_Playout value 7", "isready", "position startpos", "go btime 0 wtime 0 byoyomi 60000"],
            EngineHarness.IsBestMove, "bestmove");
        Assert.Contains(engine.Lines, l => l.Contains(" nodes 7 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AByoyomiClockGivesOneBestmove()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        string best = await engine.AskAsync(["position startpos", "go btime 0 wtime 0 byoyomi 300"], EngineHarness.IsBestMove, "bestmove");
        BestMoveIn(best, Position.StartPosition());
        best = await engine.AskAsync(["position startpos moves 2g2f", "go btime 5000 wtime 5000 binc 100 winc 100"], EngineHarness.IsBestMove, "bestmove");
        BestMoveIn(best, After("2g2f"));
        best = await engine.AskAsync(["position startpos", "go movetime 200"], EngineHarness.IsBestMove, "bestmove");
        BestMoveIn(best, Position.StartPosition());
        await engine.AskAsync("isready", l => l == "readyok", "readyok");
        Assert.Equal(3, engine.Count(EngineHarness.IsBestMove));
    }

    [Fact]
    public async Task AClockWithNoTimeLeftStillGetsOneLegalMoveAndTheNextSearchWorks()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        for (int i = 0; i < 5; i++)
        {
            string best = await engine.AskAsync(["position startpos moves 7g7f", "go btime 0 wtime 0 byoyomi 0"], EngineHarness.IsBestMove, "bestmove");
            BestMoveIn(best, After("7g7f"));
        }
        string last = await engine.AskAsync("go nodes 20", EngineHarness.IsBestMove, "bestmove");
        BestMoveIn(last, After("7g7f"));
        await engine.AskAsync("isready", l => l == "readyok", "readyok");
        Assert.Equal(6, engine.Count(EngineHarness.IsBestMove));
    }

    [Fact]
    public async Task InfiniteAnswersIsreadyWhileThinkingAndBestmoveOnlyAfterStop()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        int from = engine.Lines.Count;
        engine.Send("position startpos", "go infinite", "isready");
        int ready = await engine.WaitForAsync(l => l == "readyok", "readyok while thinking", from);
        Assert.Equal(0, engine.Count(EngineHarness.IsBestMove));
        engine.Send("stop");
        int best = await engine.WaitForAsync(EngineHarness.IsBestMove, "bestmove after stop", from);
        Assert.True(ready < best);
        BestMoveIn(engine.Lines[best], Position.StartPosition());
        await engine.AskAsync("isready", l => l == "readyok", "readyok");
        Assert.Equal(1, engine.Count(EngineHarness.IsBestMove));
    }

    [Fact]
    public async Task AnInfiniteSearchThatEndsByItselfStillWaitsForStop()
    {
        await using var engine = Engine(new SearchOptions { NodeBudget = 40 });
        await engine.ReadyAsync();
        await engine.AskAsync(["position startpos", "go infinite"], l => l.StartsWith("info string the search has ended", StringComparison.Ordinal), "the end of the search");
        await engine.AskAsync("isready", l => l == "readyok", "readyok");
        Assert.Equal(0, engine.Count(EngineHarness.IsBestMove));
        string best = await engine.AskAsync("stop", EngineHarness.IsBestMove, "bestmove after stop");
        BestMoveIn(best, Position.StartPosition());
    }

    [Fact]
    public async Task PonderWaitsForPonderhitAndThenAnswers()
    {
        await using var engine = Engine(new SearchOptions { NodeBudget = 40 });
        await engine.ReadyAsync();
        await engine.AskAsync(["position startpos moves 7g7f 3c3d", "go ponder btime 0 wtime 0 byoyomi 1000"],
            l => l.StartsWith("info string the search has ended", StringComparison.Ordinal), "the end of the search");
        await engine.AskAsync("isready", l => l == "readyok", "readyok");
        Assert.Equal(0, engine.Count(EngineHarness.IsBestMove));
        string best = await engine.AskAsync("ponderhit", EngineHarness.IsBestMove, "bestmove after ponderhit");
        BestMoveIn(best, After("7g7f", "3c3d"));
    }

    [Fact]
    public async Task APonderhitTurnsAPonderSearchIntoATimedOneAndStopEndsAnother()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        int from = engine.Lines.Count;
        engine.Send("position startpos moves 7g7f", "go ponder btime 0 wtime 0 byoyomi 200", "isready");
        await engine.WaitForAsync(l => l == "readyok", "readyok while pondering", from);
        Assert.Equal(0, engine.Count(EngineHarness.IsBestMove));
        string best = await engine.AskAsync("ponderhit", EngineHarness.IsBestMove, "bestmove after ponderhit and the byoyomi");
        BestMoveIn(best, After("7g7f"));

        from = engine.Lines.Count;
        engine.Send("position startpos moves 7g7f 3c3d", "go ponder btime 0 wtime 0 byoyomi 200", "isready");
        await engine.WaitForAsync(l => l == "readyok", "readyok while pondering", from);
        Assert.Equal(1, engine.Count(EngineHarness.IsBestMove));
        best = await engine.AskAsync("stop", EngineHarness.IsBestMove, "bestmove after stop");
        BestMoveIn(best, After("7g7f", "3c3d"));
    }

    [Fact]
    public async Task AGoWhileThinkingFirstAnswersTheRunningSearch()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        engine.Send("position startpos", "go infinite", "go nodes 5");
        await engine.WaitForAsync(EngineHarness.IsBestMove, "the first bestmove");
        await engine.WaitForAsync(EngineHarness.IsBestMove, "the second bestmove", engine.Lines.ToList().FindIndex(EngineHarness.IsBestMove) + 1);
        await engine.AskAsync("isready", l => l == "readyok", "readyok");
        Assert.Equal(2, engine.Count(EngineHarness.IsBestMove));
    }

    [Theory]
    [InlineData("position startpos moves 7g7f 3c3d 9z9z", "move 3 '9z9z' is not a USI move", "lnsgkgsnl/1r5b1/pppppp1pp/6p2/9/2P6/PP1PPPPPP/1B5R1/LNSGKGSNL b - 3")]
    [InlineData("position startpos moves 7g7f 7g7f", "move 2 '7g7f' is not a legal move", "lnsgkgsnl/1r5b1/ppppppppp/9/9/2P6/PP1PPPPPP/1B5R1/LNSGKGSNL w - 2")]
    [InlineData("position sfen lnsgkgsnl/9/9/9/9/9/9/9/LNSGKGSNL x - 1", "side to move", "lnsgkgsnl/9/9/9/9/9/9/9/LNSGKGSNL x - 1")]
    [InlineData("position sfen", "not followed by an SFEN", "")]
    [InlineData("position", "found nothing", "")]
    [InlineData("position fen 9/9/9", "'fen'", "")]
    [InlineData("position startpos 7g7f", "expected 'moves'", "")]
    public async Task ABadPositionIsAnErrorNamingTheTokenAndSfenAndThePreviousPositionIsKept(string command, string named, string sfen)
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        engine.Send("position startpos moves 2g2f");
        string error = await engine.AskAsync(command, l => l.StartsWith("info string error", StringComparison.Ordinal), "an error");
        Assert.Contains(named, error);
        Assert.Contains(sfen, error);
        Assert.Contains("previous position is kept", error);
        string best = await engine.AskAsync("go nodes 8", EngineHarness.IsBestMove, "bestmove");
        BestMoveIn(best, After("2g2f"));
    }

    [Fact]
    public async Task GarbageAndBadOptionsAreNamedInInfoStringsAndTheEngineKeepsWorking()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        Assert.Contains("'xyzzy'", await engine.AskAsync("xyzzy plugh", l => l.StartsWith("info string error", StringComparison.Ordinal), "an error"));
        Assert.Contains("'Hash_Size'", await engine.AskAsync("setoption name Hash_Size value 3", l => l.StartsWith("info string error", StringComparison.Ordinal), "an error"));
        string bad = await engine.AskAsync("setoption name MultiPV value 0", l => l.StartsWith("info string error", StringComparison.Ordinal), "an error");
        Assert.Contains("'MultiPV'", bad);
        Assert.Contains("'0'", bad);
        Assert.Contains("'SearchMode'", await engine.AskAsync("setoption name SearchMode value alphabeta", l => l.StartsWith("info string error", StringComparison.Ordinal), "an error"));
        Assert.Contains("'Temperature'", await engine.AskAsync("setoption name Temperature value -1", l => l.StartsWith("info string error", StringComparison.Ordinal), "an error"));
        Assert.Contains("'Device'", await engine.AskAsync("setoption name Device value gpu", l => l.StartsWith("info string error", StringComparison.Ordinal), "an error"));
        Assert.Contains("setoption name", await engine.AskAsync("setoption MultiPV 3", l => l.StartsWith("info string error", StringComparison.Ordinal), "an error"));
        Assert.Contains("'fast'", await engine.AskAsync("go fast please", l => l.StartsWith("info string", StringComparison.Ordinal), "a warning"));
        await engine.WaitForAsync(EngineHarness.IsBestMove, "the bestmove of that go");
        await engine.AskAsync(["setoption name USI_Hash value 1024", "setoption name USI_Ponder value true", "isready"], l => l == "readyok", "readyok");
        Assert.Equal(7, engine.Count(l => l.StartsWith("info string error", StringComparison.Ordinal)));
        string best = await engine.AskAsync(["position startpos", "go nodes 8"], EngineHarness.IsBestMove, "bestmove");
        BestMoveIn(best, Position.StartPosition());
    }

    [Fact]
    public async Task OptionsCannotChangeWhileThinking()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        engine.Send("position startpos", "go infinite");
        string error = await engine.AskAsync("setoption name MultiPV value 4", l => l.StartsWith("info string error", StringComparison.Ordinal), "an error");
        Assert.Contains("while the engine thinks", error);
        await engine.AskAsync("stop", EngineHarness.IsBestMove, "bestmove");
        Assert.Equal("1", engine.Server.Settings["MultiPV"]);
    }

    [Fact]
    public async Task ResignsBelowTheThresholdAndNeverAtZero()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        string best = await engine.AskAsync(["position startpos", "go nodes 10"], EngineHarness.IsBestMove, "bestmove");
        Assert.NotEqual("bestmove resign", best);
        best = await engine.AskAsync(["setoption name Resign_Threshold value 1000", "isready", "go nodes 10"], EngineHarness.IsBestMove, "bestmove");
        Assert.Equal("bestmove resign", best);
    }

    [Fact]
    public async Task DeclaresTheEnteringKingWinWhenTheRuleHolds()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        string best = await engine.AskAsync([$"position sfen {BlackDeclares}", "go nodes 10"], EngineHarness.IsBestMove, "bestmove");
        Assert.Equal("bestmove win", best);
        best = await engine.AskAsync([$"setoption name SearchMode value policy", "isready", $"position sfen {BlackDeclares}", "go btime 0 wtime 0 byoyomi 1000"],
            EngineHarness.IsBestMove, "bestmove");
        Assert.Equal("bestmove win", best);
    }

    [Fact]
    public async Task ResignsWhenMated()
    {
        // White to move is mated: the gold on 5b, protected by the pawn on 5c, covers every square of the king on 5a.
        await using var engine = Engine();
        await engine.ReadyAsync();
        string best = await engine.AskAsync(["position sfen 4k4/4G4/4P4/9/9/9/9/9/4K4 w - 1", "go nodes 10"], EngineHarness.IsBestMove, "bestmove");
        Assert.Equal("bestmove resign", best);
    }

    [Theory]
    [InlineData("position startpos", "1")]
    [InlineData("position sfen lnsgkgsnl/1r5b1/ppppppppp/9/9/9/PPPPPPPPP/1B5R1/LNSGKGSNL b - 300", "256")]
    public async Task DrawPlyMakesEveryMoveThatReachesItADraw(string position, string drawPly)
    {
        // Every root move reaches the draw ply, so every playout is an exact draw: the score is 0.
        await using var engine = Engine();
        await engine.ReadyAsync();
        int from = engine.Lines.Count;
        string best = await engine.AskAsync([$"setoption name Draw_Ply value {drawPly}", "isready", position, "go nodes 40"], EngineHarness.IsBestMove, "bestmove");
        string info = engine.Lines.Skip(from).TakeWhile(l => l != best).Last();
        Assert.Contains(" score cp 0 ", info);
        Assert.Contains(" nodes 40 ", info);
        Assert.Contains(" seldepth 1 ", info);
        // No playout ever reaches the network: the clock and stop must still end the search.
        await engine.AskAsync("go btime 0 wtime 0 byoyomi 300", EngineHarness.IsBestMove, "bestmove under a clock");
        await engine.AskAsync(["go infinite", "isready"], l => l == "readyok", "readyok while thinking");
        await engine.AskAsync("stop", EngineHarness.IsBestMove, "bestmove after stop");
    }

    [Fact]
    public async Task MultiPVReportsOneLinePerRootMoveByVisits()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        int from = engine.Lines.Count;
        string best = await engine.AskAsync(["setoption name MultiPV value 3", "isready", "position startpos", "go nodes 60"], EngineHarness.IsBestMove, "bestmove");
        var final = engine.Lines.Skip(from).TakeWhile(l => l != best).Reverse().Take(3).Reverse().ToList();
        for (int k = 1; k <= 3; k++)
        {
            Assert.Contains($" multipv {k} ", final[k - 1]);
            Assert.Contains(" score cp ", final[k - 1]);
            Assert.Contains(" pv ", final[k - 1]);
        }
        var firstMoves = final.Select(l => l.Split(" pv ")[1].Split(' ')[0]).ToList();
        Assert.Equal(3, firstMoves.Distinct().Count());
        Assert.Equal(best.Split(' ')[1], firstMoves[0]);
    }

    [Fact]
    public async Task PolicyModePlaysThePolicysMoveAfterOneEvaluation()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        string best = await engine.AskAsync(["setoption name SearchMode value policy", "isready", "position startpos moves 7g7f", "go btime 0 wtime 0 byoyomi 1000"],
            EngineHarness.IsBestMove, "bestmove");
        BestMoveIn(best, After("7g7f"));
        Assert.Contains(engine.Lines, l => l.StartsWith("info depth 1 seldepth 1 ", StringComparison.Ordinal) && l.Contains(" nodes 1 ", StringComparison.Ordinal));
        string again = await engine.AskAsync("go nodes 100", EngineHarness.IsBestMove, "bestmove");
        Assert.Equal(best.Split(' ')[1], again.Split(' ')[1]);
    }

    [Fact]
    public async Task RandomPlySamplesOpeningMovesAtTheTemperature()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        engine.Send("setoption name SearchMode value policy", "setoption name Random_Ply value 4", "setoption name Temperature value 1000", "isready");
        await engine.WaitForAsync(l => l == "readyok", "readyok", engine.Lines.Count);
        var moves = new HashSet<string>();
        for (int i = 0; i < 20; i++)
            moves.Add((await engine.AskAsync(["position startpos", "go nodes 1"], EngineHarness.IsBestMove, "bestmove")).Split(' ')[1]);
        // 20 draws from an almost uniform choice among 30 moves are all alike with probability about 30^-19.
        Assert.True(moves.Count > 1, string.Join(", ", moves));
        var late = new HashSet<string>();
        for (int i = 0; i < 5; i++)
            late.Add((await engine.AskAsync(["position startpos moves 7g7f 3c3d 2g2f 8c8d", "go nodes 1"], EngineHarness.IsBestMove, "bestmove")).Split(' ')[1]);
        Assert.Single(late);
    }

    private static bool IsCheckmate(string line) => line.StartsWith("checkmate", StringComparison.Ordinal);

    [Fact]
    public async Task GoMateAnswersTheMatingLineNoMateOrTimeout()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        // The mate in 3 of MateSearchTests: G*2c (protected by the pawn), the king's only square 3a, G*3b.
        int before = engine.Lines.Count;
        Assert.Equal("checkmate G*2c 2b3a G*3b",
            await engine.AskAsync(["position sfen 7nl/7k1/9/7P1/9/9/9/9/K8 b 2G 1", "go mate 10000"], IsCheckmate, "checkmate"));
        Assert.Contains(engine.Lines.Skip(before), l => l.StartsWith("info depth 3 ", StringComparison.Ordinal) && l.Contains(" score mate 3 pv G*2c 2b3a G*3b"));
        // No check to give at the start: nothing to search.
        Assert.Equal("checkmate nomate", await engine.AskAsync(["position startpos", "go mate infinite"], IsCheckmate, "checkmate"));
        // Many checks and no short mate: a search to 31 plies that only stop ends.
        Assert.Equal("checkmate timeout",
            await engine.AskAsync(["position sfen 6snl/6gk1/7pp/9/9/9/9/9/K8 b RBG 1", "go mate infinite", "stop"], IsCheckmate, "checkmate"));
        Assert.Equal(0, engine.Count(EngineHarness.IsBestMove));
        await engine.AskAsync("isready", l => l == "readyok", "readyok");
    }

    [Fact]
    public async Task AMateFoundBeforeTheSearchIsReportedAndPlayed()
    {
        await using var engine = Engine();
        await engine.ReadyAsync();
        int before = engine.Lines.Count;
        string best = await engine.AskAsync(["position sfen 7nl/7k1/9/7P1/9/9/9/9/K8 b 2G 1", "go nodes 10"], EngineHarness.IsBestMove, "bestmove");
        Assert.Equal("bestmove G*2c", best);
        Assert.Contains(engine.Lines.Skip(before), l => l.Contains(" score mate 3 pv G*2c 2b3a G*3b", StringComparison.Ordinal));
        // In infinite mode the mate waits for stop like any other answer.
        before = engine.Lines.Count;
        engine.Send("position sfen 7nl/7k1/9/7P1/9/9/9/9/K8 b 2G 1", "go infinite");
        await engine.WaitForAsync(l => l.Contains(" score mate 3 ", StringComparison.Ordinal), "score mate", before);
        Assert.Equal("bestmove G*2c", await engine.AskAsync("stop", EngineHarness.IsBestMove, "bestmove"));
    }

    [Fact]
    public void GoMateKeepsItsTime()
    {
        var warnings = new List<string>();
        var go = UsiServer.ParseGo(["mate", "1500"], warnings);
        Assert.Empty(warnings);
        Assert.True(go.Mate);
        Assert.Equal(1500, go.MateTimeMs);
        Assert.Equal("go mate 1500", go.ToGoCommand());
        Assert.Null(UsiServer.ParseGo(["mate", "infinite"], warnings).MateTimeMs);
        Assert.Equal("go mate infinite", UsiServer.ParseGo(["mate", "infinite"], warnings).ToGoCommand());
    }

    [Fact]
    public async Task GoBeforeReadyResignsWithAnError()
    {
        await using var engine = Engine();
        string best = await engine.AskAsync(["usi", "position startpos", "go nodes 5"], EngineHarness.IsBestMove, "bestmove");
        Assert.Equal("bestmove resign", best);
        Assert.Contains(engine.Lines, l => l.StartsWith("info string error: go: no network is loaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task QuitAndTheEndOfInputEndTheEngine()
    {
        var first = Engine();
        await first.ReadyAsync();
        first.Send("position startpos", "go infinite", "quit");
        await first.Run.WaitAsync(EngineHarness.Patience);
        Assert.Equal(1, first.Count(EngineHarness.IsBestMove));
        await first.DisposeAsync();

        var second = Engine();
        second.Send("usi");
        second.EndInput();
        await second.Run.WaitAsync(EngineHarness.Patience);
        Assert.Contains("usiok", second.Lines);
        await second.DisposeAsync();
    }
}
