using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Strategies;
using System.Diagnostics;
using System.Text.Json;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Storage;
using Keisei.Shogi;
using Keisei.Shogi.Records;

namespace Keisei.Cli.Tests;

/// <summary>
/// tsshogi 2.2.0 (the KIF/CSA reader inside ShogiHome), installed for tests only by <c>npm ci</c> in
/// <c>tests/Keisei.Cli.Tests/RecordReader</c>: <c>read.mjs</c> parses files and prints what it understood as JSON.
/// </summary>
internal static class RecordReader
{
    public static readonly string Folder = Path.Combine(RepositoryRoot(), "tests", "Keisei.Cli.Tests", "RecordReader");

    /// <summary>Null when the reader can run, otherwise why not.</summary>
    public static readonly string? Missing = FindMissing();

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Keisei.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no Keisei.slnx above {AppContext.BaseDirectory}");
    }

    private static string? FindMissing()
    {
        if (!File.Exists(Path.Combine(Folder, "node_modules", "tsshogi", "package.json")))
            return $"tsshogi is not installed: run 'npm ci' in {Folder}";
        try
        {
            using var node = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            node.StandardOutput.ReadToEnd();
            node.WaitForExit();
            return node.ExitCode == 0 ? null : "'node --version' failed";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"node cannot be started: {e.Message}";
        }
    }

    /// <summary>What tsshogi read from each file, in the order given.</summary>
    public static List<JsonElement> Read(IEnumerable<string> files)
    {
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Folder };
        psi.ArgumentList.Add(Path.Combine(Folder, "read.mjs"));
        foreach (var f in files) psi.ArgumentList.Add(f);
        using var node = Process.Start(psi)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        if (!node.WaitForExit(TimeSpan.FromMinutes(2))) // a hang guard only
        {
            node.Kill(entireProcessTree: true);
            throw new TimeoutException("read.mjs did not finish");
        }
        Assert.True(node.ExitCode == 0, $"read.mjs exited with {node.ExitCode}: {stderr.Result}");
        using var doc = JsonDocument.Parse(stdout.Result);
        return [.. doc.RootElement.EnumerateArray().Select(e => e.Clone())];
    }
}

/// <summary>Runs only where the reader is installed, except under CI (<c>CI=true</c>), where a missing reader fails the test.</summary>
public sealed class RecordReaderFactAttribute : FactAttribute
{
    public RecordReaderFactAttribute()
    {
        if (RecordReader.Missing is { } why && !RecordReader.InCi) Skip = why;
    }
}

public sealed class RecordReaderTests : IDisposable
{
    private const string BlackName = "agent-先手😀"; // 😀 is not in Shift_JIS
    private const string WhiteName = "opponent";
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-records-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Case(string Name, Game Game, string? Detail = null, bool WithTimes = true);

    private static Game Play(string startSfen, GameRules? rules, params string[] usi)
    {
        var game = new Game(rules, startSfen);
        foreach (string text in usi) Assert.True(game.Play(UsiNotation.ParseMove(game.Position, text)), $"{text} in {game.Position.ToSfen()}");
        return game;
    }

    private static Game FromStart(params string[] usi) => Play(Position.StartSfen, null, usi);

    private static Game Shuffle(string startSfen, int plies, params string[] cycle) =>
        Play(startSfen, null, [.. Enumerable.Range(0, plies).Select(i => cycle[i % cycle.Length])]);

    /// <summary>One played game for every way a game ends (aborted games are never stored: that one is written directly).</summary>
    private static List<Case> Cases()
    {
        // A bishop takes unpromoted and is retaken on the same square (同), a drop, a bishop entering the zone unpromoted.
        var resigned = FromStart("7g7f", "3c3d", "8h2b", "3a2b", "B*4e", "8c8d", "4e6c", "7a6b", "6c5b+", "4a5b");
        resigned.Resign(Color.Black);

        var mated = Play("4k4/9/4P4/9/9/9/9/9/4K4 b G 1", null, "G*5b");
        Assert.Equal(TerminationReason.Checkmate, mated.Termination);

        var repetition = Shuffle(Position.StartSfen, 12, "5i5h", "5a5b", "5h5i", "5b5a");
        Assert.Equal(TerminationReason.Sennichite, repetition.Termination);

        var checkerLosesOnEscape = Shuffle("8k/9/9/9/9/9/9/9/K6R1 b - 1", 12, "2i1i", "1a2a", "1i2i", "2a1a");
        var checkerLosesOnCheck = Shuffle("8k/9/9/9/9/9/9/9/K7R w - 1", 12, "1a2a", "1i2i", "2a1a", "2i1i");
        Assert.All([checkerLosesOnEscape, checkerLosesOnCheck], g => Assert.Equal(TerminationReason.PerpetualCheck, g.Termination));

        var illegal = FromStart("7g7f");
        Assert.False(illegal.Play(Move.Board(Squares.Of(3, 2), Squares.Of(3, 4))));

        var timeUp = FromStart("7g7f", "3c3d");
        timeUp.Forfeit(Color.Black, TerminationReason.TimeForfeit);
        var overClock = FromStart("7g7f", "3c3d", "2g2f"); // White answered after its byoyomi: the arena's clock decided
        overClock.Forfeit(Color.White, TerminationReason.TimeForfeit);
        string overClockDetail = new GameClock(TimeControl.Parse("0+byo1000"), TimeSpan.FromMilliseconds(50)).Overrun(Color.White, TimeSpan.FromMilliseconds(1234));

        // Black's king and ten pieces in the zone, 32 points with the hand.
        var entered = Play("R8/B8/PPPPPPPPK/9/9/9/9/9/k8 b RB4G 1", null, "1c2b", "9i9h");
        Assert.True(entered.DeclareWin());
        var badDeclaration = FromStart("7g7f", "3c3d");
        Assert.False(badDeclaration.DeclareWin());

        var limit = Play(Position.StartSfen, new GameRules { MaxPlies = 6 }, "7g7f", "3c3d", "2g2f", "8c8d", "2f2e", "8d8e");
        Assert.Equal(TerminationReason.MaxMoves, limit.Termination);

        var disconnected = FromStart("7g7f", "3c3d", "8h2b+");
        disconnected.Forfeit(Color.White, TerminationReason.Disconnect); // White, to move, lost its engine
        var stalledAtStart = new Game();
        stalledAtStart.Forfeit(Color.White, TerminationReason.Stall); // White never answered readyok: Black is to move and wins
        var stalled = FromStart("7g7f", "3c3d");
        stalled.Forfeit(Color.White, TerminationReason.Stall); // White stopped answering while Black was thinking

        return
        [
            new("resignation", resigned),
            new("checkmate", mated),
            new("sennichite", repetition),
            new("perpetual-check-escape", checkerLosesOnEscape),
            new("perpetual-check-check", checkerLosesOnCheck),
            new("illegal-move", illegal, "White played the illegal move 3c3e"),
            new("time-forfeit", timeUp, "Black did not move within 30 s"),
            new("time-forfeit-on-the-clock", overClock, overClockDetail),
            new("entering-king", entered),
            new("illegal-declaration", badDeclaration, "Black declared an entering-king win that the rule does not allow"),
            new("max-moves", limit, WithTimes: false),
            new("disconnect", disconnected, "White failed: IOException: Broken pipe"),
            new("stall-at-start", stalledAtStart, "White: no readyok within 10 s"),
            new("stall", stalled, "White: no answer\nto isready"),
        ];
    }

    /// <summary>Distinct times per move, some over a minute, with fractions that the files drop.</summary>
    private static TimeSpan[] TimesFor(int moves) => [.. Enumerable.Range(0, moves).Select(i => TimeSpan.FromMilliseconds(i * 7_300 + 250))];

    [RecordReaderFact]
    public void TsshogiReadsEveryExportedGameWithItsMovesResultTimesAndReason()
    {
        Assert.True(RecordReader.Missing is null, $"CI=true but the record reader cannot run: {RecordReader.Missing}");
        var cases = Cases();
        string db = Path.Combine(_dir, "games.db");
        using (var store = ResultsStore.Open(db))
        {
            long black = store.EnsurePlayer(new PlayerDescriptor(BlackName, ParticipantKind.Random));
            long white = store.EnsurePlayer(new PlayerDescriptor(WhiteName, ParticipantKind.Random));
            long evaluation = store.FindOrCreateEvaluation("records", black, "single_opponent", "{}", cases.Count).Evaluation.Id;
            for (int i = 0; i < cases.Count; i++)
            {
                var (_, game, detail, withTimes) = cases[i];
                long pair = store.EnsurePair(evaluation, i, 0, game.StartSfen, black, white);
                Assert.True(store.RecordGame(evaluation, pair, i, black, white, game.StartSfen, game.Moves, game.Result, game.Termination,
                    TimeSpan.FromSeconds(1), detail, withTimes ? TimesFor(game.Moves.Count) : null));
            }
        }

        var files = new Dictionary<string, string[]>();
        foreach (string format in new[] { "kif", "kifu", "csa", "usi" })
        {
            var export = CliRunner.Run("games", "export", "--db", db, "--evaluation", "1", "--format", format, "--out", Path.Combine(_dir, format));
            Assert.True(export.ExitCode == 0, export.Stderr);
            files[format] = [.. Enumerable.Range(0, cases.Count).Select(i => Path.Combine(_dir, format, $"evaluation1-game{i:D4}.{format}"))];
        }

        var read = RecordReader.Read(files["kif"].Concat(files["kifu"]).Concat(files["csa"]));
        Assert.Equal(3 * cases.Count, read.Count);
        for (int f = 0; f < 3; f++)
        {
            string format = new[] { "kif", "kifu", "csa" }[f];
            for (int i = 0; i < cases.Count; i++)
            {
                var (name, game, detail, withTimes) = cases[i];
                var r = read[f * cases.Count + i];
                string where = $"{format} of {name} ({r.GetProperty("file").GetString()})";
                Assert.False(r.TryGetProperty("error", out var error), $"{where}: tsshogi rejected it: {error}");

                // Moves and start position as Keisei's USI export has them.
                string usi = File.ReadAllText(files["usi"][i]).TrimEnd('\n');
                Assert.Equal(usi, UsiLine(r));

                // The result a reader sees is the stored one; except that tsshogi 2.2.0 reads CSA's %+ILLEGAL_ACTION and
                // %-ILLEGAL_ACTION (written, as V2.2 defines them, for a foul of the side not to move) the wrong way round.
                string special = r.GetProperty("special").GetString()!;
                Assert.False(special.StartsWith("any:", StringComparison.Ordinal), $"{where}: unknown special move '{special}'");
                var sideToMove = r.GetProperty("sideToMoveAtEnd").GetString() == "black" ? Color.Black : Color.White;
                Assert.Equal(game.SideToMove, sideToMove);
                bool misread = format == "csa" && IsFoulOfTheSideNotToMove(game);
                if (misread)
                    Assert.EndsWith(game.Result == GameResult.BlackWin ? "\n%-ILLEGAL_ACTION" : "\n%+ILLEGAL_ACTION",
                        File.ReadAllText(files["csa"][i]).Split("\n'*")[0].TrimEnd('\n'));
                var seen = misread ? Opposite(game.Result) : game.Result;
                Assert.True(ResultOf(special, sideToMove) == seen, $"{where}: '{special}' with {sideToMove} to move is not {seen}");
                string expected = ExpectedSpecial(game, format, misread);
                Assert.True(expected == special, $"{where}: '{special}', expected '{expected}'");

                // Move times (whole seconds), none for a game stored without them.
                long[] expectedMs = withTimes ? [.. TimesFor(game.Moves.Count).Select(t => (long)Math.Floor(t.TotalSeconds) * 1000)] : new long[game.Moves.Count];
                Assert.Equal(expectedMs, r.GetProperty("elapsedMs").EnumerateArray().Select(e => e.GetInt64()));

                // The reason is a comment on the end, on one line.
                string comment = r.GetProperty("endComment").GetString() ?? "";
                if (detail is not null) Assert.Contains(detail.Replace('\n', ' '), comment);
                if (game.Termination is TerminationReason.Disconnect or TerminationReason.Stall or TerminationReason.MaxMoves)
                    Assert.False(string.IsNullOrWhiteSpace(comment), $"{where}: no comment says why");

                // Names: .kif is Shift_JIS, so the emoji becomes '?'; UTF-8 files keep it.
                string expectedBlack = format == "kif" ? Keisei.Shogi.Records.KifWriter.ShiftJis.GetString(Keisei.Shogi.Records.KifWriter.ShiftJis.GetBytes(BlackName)) : BlackName;
                Assert.Equal(expectedBlack, r.GetProperty("blackName").GetString());
                Assert.Equal(WhiteName, r.GetProperty("whiteName").GetString());
            }
        }
        Assert.StartsWith("agent-先手?", read[0].GetProperty("blackName").GetString());
    }

    [RecordReaderFact]
    public void TsshogiReadsAnAbortedGameAsInterrupted()
    {
        Assert.True(RecordReader.Missing is null, $"CI=true but the record reader cannot run: {RecordReader.Missing}");
        var game = FromStart("7g7f", "3c3d", "8h2b");
        game.Abort();
        var record = game.ToRecord(BlackName, WhiteName, moveTimes: TimesFor(3), detail: "stopped by Ctrl-C");
        string kif = Path.Combine(_dir, "aborted.kifu"), csa = Path.Combine(_dir, "aborted.csa");
        File.WriteAllText(kif, KifWriter.Write(record));
        File.WriteAllText(csa, CsaWriter.Write(record));
        foreach (var r in RecordReader.Read([kif, csa]))
        {
            Assert.False(r.TryGetProperty("error", out var error), $"tsshogi rejected {r.GetProperty("file")}: {error}");
            Assert.Equal("position startpos moves 7g7f 3c3d 8h2b", UsiLine(r));
            Assert.Equal("interrupt", r.GetProperty("special").GetString());
            Assert.Contains("stopped by Ctrl-C", r.GetProperty("endComment").GetString());
        }
    }

    private static string UsiLine(JsonElement r)
    {
        string sfen = r.GetProperty("initialSfen").GetString()!;
        string[] moves = [.. r.GetProperty("moves").EnumerateArray().Select(m => m.GetString()!)];
        string start = WithoutMoveNumber(sfen) == WithoutMoveNumber(Position.StartSfen) ? "position startpos" : $"position sfen {sfen}";
        return start + (moves.Length > 0 ? " moves " + string.Join(' ', moves) : "");
    }

    private static string WithoutMoveNumber(string sfen) => sfen[..sfen.LastIndexOf(' ')];

    /// <summary>The result tsshogi's special move means, given who is to move when it comes.</summary>
    private static GameResult ResultOf(string special, Color sideToMove)
    {
        GameResult Wins(Color c) => c == Color.Black ? GameResult.BlackWin : GameResult.WhiteWin;
        return special switch
        {
            "resign" or "mate" or "timeout" or "foulLose" => Wins(sideToMove.Opponent()),
            "foulWin" or "enteringOfKing" => Wins(sideToMove),
            "repetitionDraw" or "impass" or "maxMoves" or "draw" => GameResult.Draw,
            _ => GameResult.Ongoing,
        };
    }

    private static bool IsFoul(Game game) => game.Termination is TerminationReason.PerpetualCheck or TerminationReason.IllegalMove
        or TerminationReason.IllegalDeclaration or TerminationReason.Disconnect or TerminationReason.Stall;

    private static bool IsFoulOfTheSideNotToMove(Game game) =>
        IsFoul(game) && (game.Result == GameResult.BlackWin) == (game.SideToMove == Color.Black);

    private static GameResult Opposite(GameResult result) => result == GameResult.BlackWin ? GameResult.WhiteWin : GameResult.BlackWin;

    /// <summary>
    /// The special move tsshogi must read; a foul is a win or a loss of the side to move, by who lost (reversed where
    /// tsshogi 2.2.0 misreads <c>%±ILLEGAL_ACTION</c>).
    /// </summary>
    private static string ExpectedSpecial(Game game, string format, bool misread) => game.Termination switch
    {
        TerminationReason.Resignation => "resign",
        TerminationReason.Checkmate => "mate",
        TerminationReason.Sennichite => "repetitionDraw",
        TerminationReason.TimeForfeit => "timeout",
        TerminationReason.EnteringKing => "enteringOfKing",
        // KIF has no word for a move-limit draw that tsshogi reads; 持将棋 is the draw it takes for it.
        TerminationReason.MaxMoves => format == "csa" ? "maxMoves" : "impass",
        TerminationReason.PerpetualCheck or TerminationReason.IllegalMove or TerminationReason.IllegalDeclaration
            or TerminationReason.Disconnect or TerminationReason.Stall =>
            IsFoulOfTheSideNotToMove(game) != misread ? "foulWin" : "foulLose",
        _ => throw new ArgumentOutOfRangeException(nameof(game), game.Termination, "no expected special move"),
    };
}
