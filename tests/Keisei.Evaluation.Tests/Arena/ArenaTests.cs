using Keisei.Evaluation.Strategies;
using Keisei.Evaluation.Throttling;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Neural.Models;
using Keisei.Shogi;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keisei.Evaluation.Tests.Evaluation;

public class ArenaTests
{
    private static List<ScheduledGame> Pairs(IPlayerFactory a, IPlayerFactory b, int pairs, Opening? opening = null)
    {
        var games = new List<ScheduledGame>();
        for (int p = 0; p < pairs; p++)
        {
            games.Add(new ScheduledGame(games.Count, p, opening ?? Opening.StartPosition, a, b, 100 + games.Count));
            games.Add(new ScheduledGame(games.Count, p, opening ?? Opening.StartPosition, b, a, 100 + games.Count));
        }
        return games;
    }

    private static async Task<List<PlayedGame>> Play(IReadOnlyList<ScheduledGame> games, ArenaOptions? options = null, CancellationToken ct = default)
    {
        var played = new List<PlayedGame>();
        await new MatchArena(options ?? new ArenaOptions { Concurrency = 3, Rules = new GameRules { MaxPlies = 300 } })
            .RunAsync(games, (g, _) => { played.Add(g); return ValueTask.CompletedTask; }, ct);
        return played;
    }

    [Fact]
    public async Task SlotsIdledByTheThrottleStillEndWhenTheGamesRunOut()
    {
        // Two slots, but the throttle allows one game at a time: the idle slot must not wait for games that will not come.
        var throttle = new EvaluationThrottle(maxConcurrency: 2);
        throttle.Adapt(1, 0.05, NullLogger.Instance);
        Assert.Equal(1, throttle.Concurrency);
        var played = new List<PlayedGame>();
        await new MatchArena(new ArenaOptions { Concurrency = 2, Rules = new GameRules { MaxPlies = 60 } }, throttle: throttle)
            .RunAsync(Pairs(new RandomPlayerFactory("a"), new RandomPlayerFactory("b"), 2), (g, _) => { played.Add(g); return ValueTask.CompletedTask; }, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(4, played.Count);
    }

    [Fact]
    public async Task AHeldTurnPausesGamesWithoutUsingTheirTimeLimit()
    {
        var throttle = new EvaluationThrottle(maxConcurrency: 1);
        throttle.SetTurn(false);
        var played = new List<PlayedGame>();
        var run = new MatchArena(new ArenaOptions { Concurrency = 1, Rules = new GameRules { MaxPlies = 40 }, GameTimeout = TimeSpan.FromMilliseconds(300) }, throttle: throttle)
            .RunAsync(Pairs(new RandomPlayerFactory("a"), new RandomPlayerFactory("b"), 1), (g, _) => { played.Add(g); return ValueTask.CompletedTask; }, CancellationToken.None);
        await Task.Delay(600); // held for twice the game time limit
        Assert.Empty(played);
        throttle.SetTurn(true);
        await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, played.Count);
        Assert.All(played, g => Assert.NotEqual(TerminationReason.TimeForfeit, g.Termination));
        Assert.All(played, g => Assert.True(g.Duration < TimeSpan.FromMilliseconds(300), $"game took {g.Duration} of players' time"));
    }

    [Fact]
    public async Task EveryScheduledGameIsPlayedOnceWithLegalMovesAndAResult()
    {
        var a = new RandomPlayerFactory("a");
        var b = new RandomPlayerFactory("b");
        var played = await Play(Pairs(a, b, 6));
        Assert.Equal(12, played.Count);
        Assert.Equal(Enumerable.Range(0, 12), played.Select(g => g.Scheduled.Index).Order());
        foreach (var g in played)
        {
            Assert.NotEqual(GameResult.Ongoing, g.Result);
            Assert.NotEqual(TerminationReason.None, g.Termination);
            var replay = new Game(new GameRules { MaxPlies = 300 }, g.Scheduled.Opening.StartSfen);
            foreach (var m in g.Moves) Assert.True(replay.Play(m), $"illegal move {m} in game {g.Scheduled.Index}");
            Assert.Equal(g.Result, replay.Result);
            Assert.Equal(g.Termination, replay.Termination);
        }
    }

    [Fact]
    public async Task PairsSwapColoursOnTheSameOpening()
    {
        var a = new RandomPlayerFactory("a");
        var b = new RandomPlayerFactory("b");
        var opening = new Opening(3, OpeningBook.Parse("startpos moves 7g7f 3c3d"));
        var games = Pairs(a, b, 3, opening);
        foreach (var pair in games.GroupBy(g => g.PairIndex))
        {
            var two = pair.ToList();
            Assert.Equal(2, two.Count);
            Assert.Same(two[0].Black, two[1].White);
            Assert.Same(two[0].White, two[1].Black);
            Assert.All(two, g => Assert.Equal(opening.StartSfen, g.Opening.StartSfen));
        }
        var played = await Play(games);
        Assert.All(played, g => Assert.Equal("lnsgkgsnl/1r5b1/pppppp1pp/6p2/9/2P6/PP1PPPPPP/1B5R1/LNSGKGSNL b - 3", g.Scheduled.Opening.StartSfen));
    }

    [Fact]
    public async Task MaxPliesEndsInADraw()
    {
        var played = await Play(Pairs(new RandomPlayerFactory("a"), new RandomPlayerFactory("b"), 2),
            new ArenaOptions { Concurrency = 2, Rules = new GameRules { MaxPlies = 10 } });
        Assert.All(played, g =>
        {
            Assert.Equal(GameResult.Draw, g.Result);
            Assert.Equal(TerminationReason.MaxMoves, g.Termination);
            Assert.Equal(10, g.Plies);
        });
    }

    public static TheoryData<string, TerminationReason> Faults => new()
    {
        { "fault-disconnect", TerminationReason.Disconnect },
        { "fault-stall", TerminationReason.Stall },
        { "illegal", TerminationReason.IllegalMove },
        { "throws", TerminationReason.Disconnect },
        { "slow", TerminationReason.TimeForfeit },
        { "resign", TerminationReason.Resignation },
        { "bad-declaration", TerminationReason.IllegalDeclaration },
    };

    private static Move FirstLegalMove(Position position)
    {
        var list = new MoveList();
        position.GenerateLegalMoves(ref list);
        return list[0];
    }

    /// <summary>A player whose start fails or is cancelled; counts its disposals (as an engine's would kill its process).</summary>
    private sealed class FailingStartFactory(bool cancel) : IPlayerFactory
    {
        public int Created, Disposed;

        /// <summary>Completed once a player hangs in its start (cancel mode), so a test cancels a start that is really under way.</summary>
        public TaskCompletionSource Starting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public PlayerDescriptor Descriptor { get; } = new("failing-start", ParticipantKind.Random);

        public ValueTask<IPlayer> CreateAsync(int gameSeed, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Created);
            return ValueTask.FromResult<IPlayer>(new Player(this, cancel));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private sealed class Player(FailingStartFactory owner, bool cancel) : IPlayer
        {
            public async ValueTask StartGameAsync(Game game, Color color, CancellationToken cancellationToken)
            {
                if (!cancel) throw new PlayerFaultException(TerminationReason.Stall, "no readyok");
                owner.Starting.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            public ValueTask<PlayerAction> ChooseAsync(Game game, MoveTime time, CancellationToken cancellationToken) => throw new InvalidOperationException();

            public ValueTask EndGameAsync(Game game, Color color, CancellationToken cancellationToken) => ValueTask.CompletedTask;

            public ValueTask DisposeAsync()
            {
                Interlocked.Increment(ref owner.Disposed);
                return ValueTask.CompletedTask;
            }
        }
    }

    /// <summary>
    /// Starting is not playing: a player that fails to start is disposed and retried, no game is scored, and after the last
    /// try the run stops with the reason; one cancelled while starting is disposed too.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task APlayerThatFailsOrIsCancelledWhileStartingIsDisposedAndNoGameIsScored(bool cancel)
    {
        var failing = new FailingStartFactory(cancel);
        using var cts = new CancellationTokenSource();
        var options = new ArenaOptions { Concurrency = 3, Rules = new GameRules { MaxPlies = 300 }, StartAttempts = 3, StartRetryDelay = TimeSpan.FromMilliseconds(10) };
        var played = new List<PlayedGame>();
        var run = new MatchArena(options).RunAsync(Pairs(failing, new RandomPlayerFactory("r"), 2), (g, _) => { lock (played) played.Add(g); return ValueTask.CompletedTask; }, cts.Token);
        if (cancel)
        {
            // Cancelled while a start hangs (not after a fixed delay, which a busy machine may not reach a start within).
            await failing.Starting.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await cts.CancelAsync();
            await run;
        }
        else
        {
            var e = await Assert.ThrowsAsync<PlayerStartException>(() => run);
            Assert.Contains("failing-start could not be started", e.Message);
            Assert.Contains("3 tries", e.Message);
            Assert.Contains("no readyok", e.Message);
            Assert.True(failing.Created >= 3, $"{failing.Created} starts: not retried");
        }
        Assert.True(failing.Created > 0);
        Assert.Equal(failing.Created, failing.Disposed);
        Assert.DoesNotContain(played, g => g.Scheduled.Black == failing || g.Scheduled.White == failing);
    }

    [Fact]
    public async Task APlayerThatFailsToStartOnceIsRetriedAndTheGameIsPlayedNormally()
    {
        var flaky = new FlakyStartFactory();
        var played = await Play(Pairs(flaky, new RandomPlayerFactory("r"), 2),
            new ArenaOptions { Concurrency = 1, Rules = new GameRules { MaxPlies = 40 }, StartRetryDelay = TimeSpan.FromMilliseconds(10) });
        Assert.Equal(4, played.Count);
        Assert.All(played, g => Assert.True(g.Plies > 0, $"{g.Termination} at ply 0 ({g.Detail})"));
        Assert.Equal(8, flaky.Created); // every other start fails: two tries per game
    }

    /// <summary>Players whose every odd-numbered start fails.</summary>
    private sealed class FlakyStartFactory : IPlayerFactory
    {
        private readonly RandomPlayerFactory _inner = new("flaky");
        public int Created;

        public PlayerDescriptor Descriptor { get; } = new("flaky", ParticipantKind.Random);

        public async ValueTask<IPlayer> CreateAsync(int gameSeed, CancellationToken cancellationToken)
        {
            int n = Interlocked.Increment(ref Created);
            var inner = await _inner.CreateAsync(gameSeed, cancellationToken);
            return n % 2 == 1 ? new FailOnStart(inner) : inner;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private sealed class FailOnStart(IPlayer inner) : IPlayer
        {
            public ValueTask StartGameAsync(Game game, Color color, CancellationToken cancellationToken) =>
                throw new PlayerStartException("engine 'flaky' did not answer readyok");

            public ValueTask<PlayerAction> ChooseAsync(Game game, MoveTime time, CancellationToken cancellationToken) => inner.ChooseAsync(game, time, cancellationToken);

            public ValueTask EndGameAsync(Game game, Color color, CancellationToken cancellationToken) => inner.EndGameAsync(game, color, cancellationToken);

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }

    /// <summary>A network that answers NaN is broken, not beaten: no game is scored, every game stops, the run fails.</summary>
    [Fact]
    public async Task ANetworkAnsweringNaNStopsEveryGameInsteadOfLosing()
    {
        var broken = new FaultyPlayerFactory("nan", (moves, game, _) => moves < 3
            ? ValueTask.FromResult(PlayerAction.Play(FirstLegalMove(game.Position)))
            : throw new NonFiniteOutputException($"The network's value is NaN for position {game.Position.ToSfen()}."));
        var slow = new FaultyPlayerFactory("slow", async (_, game, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
            return PlayerAction.Play(FirstLegalMove(game.Position));
        });
        var games = Pairs(broken, new RandomPlayerFactory("random"), 1);
        games.AddRange(Pairs(slow, new RandomPlayerFactory("other"), 20).Select(g => g with { Index = g.Index + 2, PairIndex = g.PairIndex + 1 }));
        var played = new List<PlayedGame>();
        var e = await Assert.ThrowsAsync<NonFiniteOutputException>(() => new MatchArena(new ArenaOptions { Concurrency = 4, Rules = new GameRules { MaxPlies = 300 } })
            .RunAsync(games, (g, _) => { lock (played) played.Add(g); return ValueTask.CompletedTask; }, CancellationToken.None));
        Assert.Contains("value is NaN", e.Message);
        Assert.DoesNotContain(played, g => g.Scheduled.Black == broken || g.Scheduled.White == broken);
        Assert.True(played.Count < games.Count - 2, $"{played.Count} games went on being played");
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task AFaultIsALossForTheSideAtFaultWithItsReasonAndOtherGamesGoOn(string kind, TerminationReason expected)
    {
        var faulty = new FaultyPlayerFactory(kind, async (moves, game, ct) =>
        {
            switch (kind)
            {
                case "fault-disconnect": throw new PlayerFaultException(TerminationReason.Disconnect, "engine died");
                case "fault-stall": throw new PlayerFaultException(TerminationReason.Stall, "no readyok");
                case "illegal": return PlayerAction.Play(Move.Board(Squares.Of(5, 0), Squares.Of(5, 4)));
                case "throws": throw new InvalidOperationException("bug in a player");
                case "slow":
                    await Task.Delay(TimeSpan.FromSeconds(30), ct);
                    return PlayerAction.Resign();
                case "resign": return PlayerAction.Resign();
                default: return PlayerAction.DeclareWin();
            }
        });
        var random = new RandomPlayerFactory("random");
        var games = Pairs(faulty, random, 1);
        games.AddRange(Pairs(random, new RandomPlayerFactory("other"), 1).Select(g => g with { Index = g.Index + 2, PairIndex = 1 }));
        var played = await Play(games, new ArenaOptions { Concurrency = 4, MoveTimeout = TimeSpan.FromMilliseconds(300), Rules = new GameRules { MaxPlies = 200 } });

        Assert.Equal(4, played.Count);
        foreach (var g in played.Where(g => g.Scheduled.Index < 2))
        {
            Assert.Equal(expected, g.Termination);
            Assert.Equal(0, g.ScoreOf(faulty));
            Assert.Equal(1, g.ScoreOf(random));
            Assert.NotEqual(GameResult.Draw, g.Result);
        }
        Assert.All(played.Where(g => g.Scheduled.Index >= 2), g => Assert.NotEqual(TerminationReason.None, g.Termination));
        // One time per move played: a fault, a resignation or a rejected illegal move adds none.
        Assert.All(played, g => Assert.Equal(g.Moves.Count, g.MoveTimes.Count));
    }

    [Fact]
    public async Task EachMoveTimeIsTheTimeItsPlayerTookToAnswer()
    {
        // From its third move on, the thinker waits 60 ms before answering; the random opponent answers at once.
        var thinker = new FaultyPlayerFactory("thinker", async (_, game, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(60), ct);
            return PlayerAction.Play(FirstLegalMove(game.Position));
        });
        var played = await Play(Pairs(thinker, new RandomPlayerFactory("random"), 1), new ArenaOptions { Concurrency = 2, Rules = new GameRules { MaxPlies = 12 } });
        Assert.Equal(2, played.Count);
        foreach (var g in played)
        {
            Assert.Equal(TerminationReason.MaxMoves, g.Termination);
            Assert.Equal(g.Moves.Count, g.MoveTimes.Count);
            Assert.All(g.MoveTimes, t => Assert.True(t >= TimeSpan.Zero));
            // The moves are measured within the game: together they never exceed it (a lower bound only; no upper bound on time).
            Assert.True(g.MoveTimes.Aggregate(TimeSpan.Zero, (a, b) => a + b) <= g.Duration);
            int thinkerParity = ReferenceEquals(g.Scheduled.Black, thinker) ? 0 : 1;
            var thought = g.MoveTimes.Where((_, i) => i % 2 == thinkerParity).Skip(2).ToList();
            Assert.Equal(4, thought.Count);
            Assert.All(thought, t => Assert.True(t >= TimeSpan.FromMilliseconds(50), $"a 60 ms answer measured {t}"));
        }
    }

    [Fact]
    public async Task CancellationAbortsGamesInProgressWithoutReportingThem()
    {
        var slow = new FaultyPlayerFactory("slow", async (_, game, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
            var list = new MoveList();
            game.Position.GenerateLegalMoves(ref list);
            return PlayerAction.Play(list[0]);
        });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));
        var played = await Play(Pairs(slow, new RandomPlayerFactory("r"), 10), new ArenaOptions { Concurrency = 2, Rules = new GameRules { MaxPlies = 400 } }, cts.Token);
        Assert.True(played.Count < 20);
        Assert.All(played, g => Assert.NotEqual(TerminationReason.Aborted, g.Termination));
    }

    [Fact]
    public async Task ValueBasedResignationResignsAfterTheConfiguredMoves()
    {
        var gloomy = new FaultyPlayerFactory("gloomy", (_, game, _) =>
        {
            var list = new MoveList();
            game.Position.GenerateLegalMoves(ref list);
            return ValueTask.FromResult(PlayerAction.Play(list[0], value: -0.99f));
        });
        var played = await Play(Pairs(gloomy, new RandomPlayerFactory("r"), 1),
            new ArenaOptions { Concurrency = 1, ResignValue = -0.9f, ResignMoves = 3, Rules = new GameRules { MaxPlies = 300 } });
        Assert.All(played, g =>
        {
            Assert.Equal(TerminationReason.Resignation, g.Termination);
            Assert.Equal(0, g.ScoreOf(gloomy));
        });
    }
}
