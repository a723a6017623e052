using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Shogi;
using Keisei.Usi;

namespace Keisei.Evaluation.Tests.Evaluation;

/// <summary>The match clock: its syntax, its arithmetic, what players are told and who loses on time.</summary>
public class ClockTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData("60000+1000", 60000, 1000, 0, "60000+1000")]
    [InlineData("0+byo1000", 0, 0, 1000, "0+byo1000")]
    [InlineData(" 600000+byo10000 ", 600000, 0, 10000, "600000+byo10000")]
    [InlineData("300000", 300000, 0, 0, "300000+0")]
    public void TimeControlsAreReadAndWrittenInOneCanonicalForm(string text, long main, long increment, long byoyomi, string canonical)
    {
        var tc = TimeControl.Parse(text);
        Assert.Equal((main, increment, byoyomi), (tc.MainMs, tc.IncrementMs, tc.ByoyomiMs));
        Assert.Equal(canonical, tc.ToString());
        Assert.Equal(tc, TimeControl.Parse(tc.ToString()));
    }

    [Theory]
    [InlineData("", "expected MAIN+INC")]
    [InlineData("60+1s", "expected MAIN+INC")]
    [InlineData("-5+1", "expected MAIN+INC")]
    [InlineData("60000+", "expected MAIN+INC")]
    [InlineData("1000+byo", "expected MAIN+INC")]
    [InlineData("99999999999+0", "expected MAIN+INC")]
    [InlineData("0+0", "gives no time")]
    public void AMalformedTimeControlIsRefusedQuotingIt(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => TimeControl.Parse(text));
        Assert.Contains(expected, e.Message);
        Assert.Contains($"'{text}'", e.Message);
    }

    [Fact]
    public void FischerSubtractsTheTimeUsedAndAddsTheIncrementAfterTheMove()
    {
        var clock = new GameClock(TimeControl.Parse("60000+1000"), TimeSpan.FromMilliseconds(50));
        Assert.Equal("go btime 60000 wtime 60000 binc 1000 winc 1000", clock.GoLimits().ToGoCommand());
        Assert.Equal(TimeSpan.FromMilliseconds(60000), clock.Allowed(Color.Black));
        Assert.True(clock.Charge(Color.Black, TimeSpan.FromMilliseconds(2500.2))); // charged as 2501 ms
        Assert.Equal(58499, clock.RemainingMs(Color.Black));
        Assert.Equal(60000, clock.RemainingMs(Color.White));
        Assert.True(clock.Charge(Color.White, TimeSpan.FromMilliseconds(400)));
        Assert.Equal("go btime 58499 wtime 60600 binc 1000 winc 1000", clock.GoLimits().ToGoCommand());
        // Within the margin past the main time: in time, the clock is empty and the increment comes on top.
        Assert.True(clock.Charge(Color.Black, TimeSpan.FromMilliseconds(58530)));
        Assert.Equal(1000, clock.RemainingMs(Color.Black));
    }

    [Fact]
    public void ByoyomiIsAvailableOnEveryMoveAndDoesNotCarryOver()
    {
        var clock = new GameClock(TimeControl.Parse("3000+byo1000"), TimeSpan.Zero);
        Assert.Equal("go btime 3000 wtime 3000 byoyomi 1000", clock.GoLimits().ToGoCommand());
        Assert.Equal(TimeSpan.FromMilliseconds(4000), clock.Allowed(Color.White));
        Assert.True(clock.Charge(Color.White, TimeSpan.FromMilliseconds(3600))); // main time gone, 600 ms of byoyomi used
        Assert.Equal(0, clock.RemainingMs(Color.White));
        Assert.Equal(TimeSpan.FromMilliseconds(1000), clock.Allowed(Color.White)); // the whole byoyomi again
        Assert.True(clock.Charge(Color.White, TimeSpan.FromMilliseconds(999)));
        Assert.True(clock.Charge(Color.White, TimeSpan.FromMilliseconds(1000)));
        Assert.Equal(0, clock.RemainingMs(Color.White));
        Assert.Equal("go btime 3000 wtime 0 byoyomi 1000", clock.GoLimits().ToGoCommand());
    }

    [Fact]
    public void AMoveOverTheClockAndTheMarginLosesAndLeavesTheClockAsItWas()
    {
        var clock = new GameClock(TimeControl.Parse("0+byo1000"), TimeSpan.FromMilliseconds(50));
        Assert.Equal(TimeSpan.FromMilliseconds(1050), clock.Deadline(Color.Black));
        Assert.True(clock.Charge(Color.Black, TimeSpan.FromMilliseconds(1050)));
        Assert.False(clock.Charge(Color.Black, TimeSpan.FromMilliseconds(1050.5)));
        Assert.Equal(0, clock.RemainingMs(Color.Black));
        string detail = clock.Overrun(Color.Black, TimeSpan.FromMilliseconds(1234));
        Assert.Equal("Black lost on time: used 1234 ms with 0 ms main time + 1000 ms byoyomi + 50 ms margin, clock 0+byo1000", detail);
        Assert.Contains("no move within", clock.Overrun(Color.White, used: null));
    }

    [Fact]
    public void UsiEnginesGetTheClockAndKeepOnlyNodesAndDepthOfTheirLimits()
    {
        var clock = new UsiGoLimits { BlackTimeMs = 60000, WhiteTimeMs = 59000, BlackIncrementMs = 1000, WhiteIncrementMs = 1000 };
        var options = new UsiPlayOptions { Limits = UsiGoLimits.FixedNodes(500), TimeControl = TimeControl.Parse("60000+1000") };
        Assert.Equal("go btime 60000 wtime 59000 binc 1000 winc 1000 nodes 500", options.GoFor(clock).ToGoCommand());
        Assert.Equal("tc 60000+1000 nodes 500", options.Settings);
        var byMoveTime = new UsiPlayOptions { TimeControl = TimeControl.Parse("0+byo1000") }; // default movetime 1000 is not sent
        Assert.Equal("go btime 0 wtime 0 byoyomi 1000", byMoveTime.GoFor(new UsiGoLimits { BlackTimeMs = 0, WhiteTimeMs = 0, ByoyomiMs = 1000 }).ToGoCommand());
        Assert.Equal("tc 0+byo1000", byMoveTime.Settings);
        Assert.Equal("go movetime 1000", new UsiPlayOptions().GoFor(null).ToGoCommand());
    }

    [Fact]
    public async Task PlayersAreToldTheClockThatTheArenaKeeps()
    {
        var seen = new List<(Color Side, MoveTime Time)>();
        var a = new RecordingFactory("a", seen);
        var b = new RecordingFactory("b", seen);
        var options = new ArenaOptions { Concurrency = 1, Rules = new GameRules { MaxPlies = 30 }, TimeControl = TimeControl.Parse("60000+1000") };
        var played = await new MatchArena(options).PlayAsync(new ScheduledGame(0, 0, Opening.StartPosition, a, b, 7), CancellationToken.None)
            .WaitAsync(Patience);

        Assert.NotNull(played);
        Assert.True(played.Plies >= 4, $"{played.Termination} after {played.Plies} plies");
        Assert.Equal(played.Plies, seen.Count);
        // Replaying the stored move times on a clock of our own gives what each player was told before its move.
        var replay = new GameClock(options.TimeControl!, options.TimeMargin);
        for (int ply = 0; ply < seen.Count; ply++)
        {
            var (side, time) = seen[ply];
            Assert.Equal(ply % 2 == 0 ? Color.Black : Color.White, side);
            Assert.Equal(replay.GoLimits(), time.Clock);
            Assert.Equal(replay.Deadline(side), time.Limit);
            Assert.True(replay.Charge(side, played.MoveTimes[ply]));
        }
        Assert.True(replay.RemainingMs(Color.Black) > 60000, "fast moves with a 1 s increment each");
    }

    [Fact]
    public async Task APlayerThatAnswersAfterItsClockLosesOnTimeWhateverItPlayed()
    {
        // The slow side sleeps 1.5 s on its third move (ignoring the arena's cancellation) under 1 s per move: it answers
        // after its clock (or, on a machine so busy that the sleep lasts past the arena's patience, not at all); either is a loss on time.
        var slow = new FaultyPlayerFactory("slow", (_, game, _) =>
        {
            Thread.Sleep(1500);
            var list = new MoveList();
            game.Position.GenerateLegalMoves(ref list);
            return ValueTask.FromResult(PlayerAction.Play(list[0]));
        });
        var options = new ArenaOptions { Concurrency = 1, TimeControl = TimeControl.Parse("0+byo1000"), TimeMargin = TimeSpan.Zero };
        var played = await new MatchArena(options).PlayAsync(new ScheduledGame(0, 0, Opening.StartPosition, slow, new RandomPlayerFactory("fast"), 3),
            CancellationToken.None).WaitAsync(Patience);

        Assert.NotNull(played);
        Assert.Equal(TerminationReason.TimeForfeit, played.Termination);
        Assert.Equal(GameResult.WhiteWin, played.Result);
        Assert.Contains("Black lost on time", played.Detail);
    }

    [Fact]
    public async Task AnEngineThatReportsItsOwnTimeoutIsDescribedByTheClock()
    {
        // A USI player whose wait for bestmove ended at the deadline reports a time fault itself; the reason names the clock too.
        var timedOut = new FaultyPlayerFactory("engine", (_, _, _) =>
            throw new PlayerFaultException(TerminationReason.TimeForfeit, "engine 'x': no bestmove within 0.35 s"));
        var options = new ArenaOptions { Concurrency = 1, TimeControl = TimeControl.Parse("0+byo300") };
        var played = await new MatchArena(options).PlayAsync(new ScheduledGame(0, 0, Opening.StartPosition, new RandomPlayerFactory("fast"), timedOut, 3),
            CancellationToken.None).WaitAsync(Patience);

        Assert.NotNull(played);
        Assert.Equal(TerminationReason.TimeForfeit, played.Termination);
        Assert.Equal(GameResult.BlackWin, played.Result);
        Assert.StartsWith("White lost on time: no move within 0 ms main time + 300 ms byoyomi + 50 ms margin, clock 0+byo300 (engine 'x'", played.Detail);
    }

    [Fact]
    public void TheClockSummaryReplaysAPlayersStoredMoveTimes()
    {
        var tc = TimeControl.Parse("2000+byo1000");
        TimeSpan[] Ms(params int[] ms) => [.. ms.Select(m => TimeSpan.FromMilliseconds(m))];
        StoredGame Game(long black, long white, string sfen, TerminationReason reason, GameResult result, TimeSpan[]? times) =>
            new(1, 1, 0, 0, 0, black, white, sfen, [], result, reason, times?.Length ?? 0, 0, null, DateTimeOffset.UnixEpoch, times);
        var games = new[]
        {
            // Player 7 as Black: 1500 of 3000, then 900 of 1500 (500 main left + 1000 byoyomi): least left 600.
            Game(7, 8, Position.StartSfen, TerminationReason.Checkmate, GameResult.BlackWin, Ms(1500, 10, 900, 10)),
            // As White from a position with White to move: its moves are the even plies; 2990 of 3000 leaves 10.
            Game(8, 7, "4k4/9/9/9/9/9/9/9/4K4 w - 1", TerminationReason.TimeForfeit, GameResult.BlackWin, Ms(2990, 5)),
            Game(8, 7, Position.StartSfen, TerminationReason.MaxMoves, GameResult.Draw, null),
            Game(8, 9, Position.StartSfen, TerminationReason.Checkmate, GameResult.BlackWin, Ms(100)), // not player 7's game
        };
        var summary = ClockSummary.Of(tc, TimeSpan.FromMilliseconds(50), 7, games);
        Assert.Equal(new ClockSummary(tc, Games: 3, TimeLosses: 1, LeastLeftMs: 10, LongestMoveMs: 2990), summary);
    }

    /// <summary>Plays its first legal move at once and notes what the arena told it.</summary>
    private sealed class RecordingFactory(string name, List<(Color, MoveTime)> seen) : IPlayerFactory
    {
        public PlayerDescriptor Descriptor { get; } = new(name, ParticipantKind.Random);

        public ValueTask<IPlayer> CreateAsync(int gameSeed, CancellationToken cancellationToken) => ValueTask.FromResult<IPlayer>(new Player(seen));

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private sealed class Player(List<(Color, MoveTime)> seen) : SimplePlayer, IPlayer
        {
            ValueTask<PlayerAction> IPlayer.ChooseAsync(Game game, MoveTime time, CancellationToken cancellationToken)
            {
                lock (seen) seen.Add((game.SideToMove, time));
                return ChooseAsync(game, time, cancellationToken);
            }

            protected override PlayerAction Choose(Position position)
            {
                var list = new MoveList();
                position.GenerateLegalMoves(ref list);
                return PlayerAction.Play(list[0]);
            }
        }
    }
}
