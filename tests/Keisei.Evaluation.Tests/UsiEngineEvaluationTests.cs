using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Shogi;
using Keisei.Usi;

namespace Keisei.Evaluation.Tests.Evaluation;

/// <summary>
/// Faulty USI engines (tests/Keisei.FakeUsiEngine) inside a real evaluation: every fault in a game is a loss with its reason
/// and the evaluation goes on; a start-up is not a game: retried, never scored, and an error when it keeps failing.
/// </summary>
public sealed class UsiEngineEvaluationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-usi-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Engine(string mode, string args = "") =>
        $"dotnet \"{Path.Combine(AppContext.BaseDirectory, "Keisei.FakeUsiEngine.dll")}\" {mode} {args}".Trim();

    [Fact]
    public async Task EachEngineFaultIsALossWithTheRightReasonAndTheEvaluationCarriesOn()
    {
        var faults = new (string Name, string Command, TerminationReason Reason)[]
        {
            ("crasher", Engine("crash", "--after 2"), TerminationReason.Disconnect),
            ("hanger", Engine("hang", "--after 2"), TerminationReason.TimeForfeit),
            ("illegal", Engine("illegal", "--after 2"), TerminationReason.IllegalMove),
            ("garbage", Engine("garbage", "--after 2"), TerminationReason.IllegalMove),
            ("resigner", Engine("resign", "--after 2"), TerminationReason.Resignation),
        };
        var pool = faults.Select(f => (object?)new Dictionary<string, object?> { ["name"] = f.Name, ["type"] = "usi", ["command"] = f.Command }).ToList();
        pool.Add(new Dictionary<string, object?> { ["name"] = "healthy", ["type"] = "usi", ["command"] = Engine("random", "--seed 3") });
        var request = new EvaluationRequest
        {
            Agent = new RandomPlayerFactory("agent"),
            Strategy = EvaluationStrategy.Create("tournament", new ParamReader(new Dictionary<string, object?>
            {
                ["opponent_pool_config"] = pool,
                ["num_games_per_opponent"] = 2L,
            }, "evaluation.strategy_params")),
            Seed = 3,
            // The hanger's games last this long; shorter, a healthy engine's first move (a fresh process compiling its first
            // search) could overrun it on a busy machine (it did at 1.5 s).
            Arena = new ArenaOptions { Concurrency = 4, MoveTimeout = TimeSpan.FromSeconds(10), Rules = new GameRules { MaxPlies = 40 } },
        };
        var usi = new UsiPlayOptions
        {
            Limits = UsiGoLimits.MoveTime(20),
            HandshakeTimeout = TimeSpan.FromSeconds(20),
            ReadyTimeout = TimeSpan.FromSeconds(20),
            StderrLogDirectory = _dir,
        };

        using var store = ResultsStore.Open(Path.Combine(_dir, "keisei.db"));
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), usi);
        var report = await new EvaluationRunner(store, participants).RunAsync(request, null, CancellationToken.None);

        Assert.Equal(EvaluationStatus.Completed, report.Status);
        Assert.Equal(12, report.PlayedGames);
        var players = store.Players().ToDictionary(p => p.Id, p => p.Name);
        foreach (var (name, _, reason) in faults)
        {
            var games = store.Games(report.EvaluationId).Where(g => players[g.BlackPlayerId] == name || players[g.WhitePlayerId] == name).ToList();
            Assert.Equal(2, games.Count);
            Assert.All(games, g =>
            {
                Assert.True(reason == g.Termination, $"{name}: expected {reason}, found {g.Termination} ({g.Detail})");
                if (reason != TerminationReason.Resignation) Assert.False(string.IsNullOrWhiteSpace(g.Detail), $"{name}: a fault stored without its reason");
                long engine = players.Single(p => p.Value == name).Key;
                Assert.Equal(0, g.ScoreOf(engine));
            });
        }
        var healthy = report.Opponents.Single(o => o.Opponent == "healthy");
        Assert.Equal(2, healthy.Counts.Games);
        Assert.DoesNotContain(store.Games(report.EvaluationId), g => g.Result == GameResult.Ongoing);
    }
    private static UsiPlayOptions Usi(string dir) => new()
    {
        Limits = UsiGoLimits.MoveTime(20),
        HandshakeTimeout = TimeSpan.FromSeconds(20),
        ReadyTimeout = TimeSpan.FromSeconds(20),
        StderrLogDirectory = dir,
    };

    private static EvaluationRequest Against(OpponentSpec opponent, int games, ArenaOptions? arena = null) => new()
    {
        Agent = new RandomPlayerFactory("agent"),
        Strategy = EvaluationStrategy.Create("single_opponent", new ParamReader(new Dictionary<string, object?>(), "evaluation.strategy_params")),
        Opponents = [opponent],
        NumGames = games,
        Seed = 5,
        Arena = arena ?? new ArenaOptions { Concurrency = 2, MoveTimeout = TimeSpan.FromSeconds(10), Rules = new GameRules { MaxPlies = 30 } },
    };

    /// <summary>Short games whose players get <paramref name="attempts"/> tries to start, 50 ms apart.</summary>
    private static ArenaOptions Retrying(int concurrency, int attempts) => new()
    {
        Concurrency = concurrency, MoveTimeout = TimeSpan.FromSeconds(10), Rules = new GameRules { MaxPlies = 30 },
        StartAttempts = attempts, StartRetryDelay = TimeSpan.FromMilliseconds(50),
    };

    [Theory]
    [InlineData("missing")]
    [InlineData("noready")]
    [InlineData("crash-at-start")]
    public async Task AnEngineThatCannotStartIsAnErrorNamingTheCommandBeforeAnyGame(string fault)
    {
        string command = fault switch
        {
            "missing" => Path.Combine(_dir, "no-such-engine") + " --flag",
            "noready" => Engine("noready"),
            _ => Engine("random", $"--starts \"{Path.Combine(_dir, "starts")}\" --fail-start-from 1"),
        };
        using var store = ResultsStore.Open(Path.Combine(_dir, "keisei.db"));
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), Usi(_dir) with { ReadyTimeout = TimeSpan.FromSeconds(2) });
        var e = await Assert.ThrowsAsync<PlayerStartException>(() =>
            new EvaluationRunner(store, participants).RunAsync(Against(OpponentSpec.Parse($"usi:{command}"), 4), null, CancellationToken.None));
        Assert.Contains(command, e.Message);
        if (fault == "noready") Assert.Contains("USI_Hash", e.Message); // the hint about engines slow to get ready
        Assert.Empty(store.Evaluations());
        Assert.Empty(store.Players());
    }

    [Fact]
    public async Task StartFailuresDuringAnEvaluationAreRetriedAndNeverScored()
    {
        string starts = Path.Combine(_dir, "starts");
        // Start 1 is the check before the games; every third start after it fails at isready. One game at a time, so each
        // failed start is followed by a good one (with two at once, the other game's starts could leave one game only failing
        // counts on a busy machine, which is not what this test is about).
        var engine = OpponentSpec.Parse($"usi:{Engine("random", $"--seed 4 --starts \"{starts}\" --fail-start-every 3")}");
        var arena = Retrying(concurrency: 1, attempts: 3);
        using var store = ResultsStore.Open(Path.Combine(_dir, "keisei.db"));
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), Usi(_dir));
        var report = await new EvaluationRunner(store, participants).RunAsync(Against(engine, 8, arena), null, CancellationToken.None);

        Assert.Equal(EvaluationStatus.Completed, report.Status);
        Assert.Equal(8, report.PlayedGames);
        var games = store.Games(report.EvaluationId);
        Assert.All(games, g => Assert.True(g.Plies > 0 || g.Termination == TerminationReason.None,
            $"game {g.GameIndex}: {g.Termination} at ply {g.Plies} ({g.Detail})"));
        Assert.DoesNotContain(games, g => g.Termination is TerminationReason.Stall or TerminationReason.Disconnect);
        int startCount = int.Parse(File.ReadAllText(starts), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(startCount > 9, $"{startCount} starts for 8 games and the check: no start was retried");
    }

    [Fact]
    public async Task AStartThatKeepsFailingStopsTheEvaluationAndLeavesItsGamesUnplayed()
    {
        string starts = Path.Combine(_dir, "starts");
        // The check and the first two games' starts work; every start after that fails.
        var engine = OpponentSpec.Parse($"usi:{Engine("random", $"--seed 4 --starts \"{starts}\" --fail-start-from 4")}");
        var arena = Retrying(concurrency: 1, attempts: 2);
        using var store = ResultsStore.Open(Path.Combine(_dir, "keisei.db"));
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), Usi(_dir));
        var e = await Assert.ThrowsAsync<PlayerStartException>(() =>
            new EvaluationRunner(store, participants).RunAsync(Against(engine, 6, arena), null, CancellationToken.None));
        Assert.Contains("2 tries", e.Message);

        var evaluation = Assert.Single(store.Evaluations());
        Assert.Equal(EvaluationStatus.Failed, evaluation.Status);
        var games = store.Games(evaluation.Id);
        Assert.Equal(2, games.Count); // the two games whose engine started; the rest are not scored
        Assert.All(games, g => Assert.True(g.Plies > 0, $"game {g.GameIndex} stored at ply 0: {g.Termination} ({g.Detail})"));
    }

    [Fact]
    public async Task OtherLimitsOrOptionsMakeAnotherParticipantAndAnotherEvaluation()
    {
        string command = Engine("random", "--seed 2");
        using var store = ResultsStore.Open(Path.Combine(_dir, "keisei.db"));
        var reports = new List<EvaluationReport>();
        foreach (var usi in new[]
        {
            Usi(_dir) with { Limits = UsiGoLimits.FixedDepth(1) },
            Usi(_dir) with { Limits = UsiGoLimits.FixedNodes(1000) },
            Usi(_dir) with { Limits = UsiGoLimits.FixedNodes(1000), EngineOptions = new Dictionary<string, string> { ["USI_Hash"] = "64" } },
            Usi(_dir) with { Limits = UsiGoLimits.FixedDepth(1) },
        })
        {
            await using var participants = new ParticipantResolver(new NeuralPlayOptions(), usi);
            reports.Add(await new EvaluationRunner(store, participants).RunAsync(Against(OpponentSpec.Parse($"usi:{command}"), 2), null, CancellationToken.None));
        }
        Assert.Equal(3, reports.Select(r => r.EvaluationId).Distinct().Count());
        Assert.Equal(reports[0].EvaluationId, reports[3].EvaluationId); // the same settings again: the same evaluation
        var names = store.Players().Where(p => p.Kind == ParticipantKind.Usi).Select(p => p.Name).ToList();
        Assert.Equal(["FakeUsi random (depth 1)", "FakeUsi random (nodes 1000)", "FakeUsi random (nodes 1000, USI_Hash=64)"], names);

        // A name the user gives is the participant's; the same name with other settings is refused, naming both.
        await using (var named = new ParticipantResolver(new NeuralPlayOptions(), Usi(_dir) with { Limits = UsiGoLimits.FixedDepth(1) }))
            await new EvaluationRunner(store, named).RunAsync(Against(OpponentSpec.Parse($"usi:{command}").Named("fake"), 2), null, CancellationToken.None);
        await using var renamed = new ParticipantResolver(new NeuralPlayOptions(), Usi(_dir) with { Limits = UsiGoLimits.FixedDepth(2) });
        var e = await Assert.ThrowsAsync<ResultsStoreException>(() =>
            new EvaluationRunner(store, renamed).RunAsync(Against(OpponentSpec.Parse($"usi:{command}").Named("fake"), 2), null, CancellationToken.None));
        Assert.Contains("'fake' already belongs to a different participant", e.Message);
        Assert.Contains("depth 1", e.Message);
    }

    [Fact]
    public async Task UnderAClockAnEngineThatOverrunsLosesOnTimeAndOneThatAnswersInTimeDoesNot()
    {
        using var store = ResultsStore.Open(Path.Combine(_dir, "keisei.db"));
        // Thinks a minute unless stopped: the arena stops it at its 300 ms byoyomi plus margin, and it has lost.
        var slowClock = TimeControl.Parse("0+byo300");
        await using (var participants = new ParticipantResolver(new NeuralPlayOptions(), Usi(_dir) with { TimeControl = slowClock }))
        {
            var arena = new ArenaOptions { Concurrency = 2, Rules = new GameRules { MaxPlies = 30 }, TimeControl = slowClock };
            var report = await new EvaluationRunner(store, participants)
                .RunAsync(Against(OpponentSpec.Parse($"usi:{Engine("random", "--seed 2 --think-ms 60000")}"), 2, arena), null, CancellationToken.None);
            Assert.Equal(2, report.PlayedGames);
            Assert.Equal(2, report.Total.Wins);
            Assert.All(store.Games(report.EvaluationId), g =>
            {
                Assert.Equal(TerminationReason.TimeForfeit, g.Termination);
                Assert.Contains("lost on time", g.Detail);
                Assert.Contains("clock 0+byo300", g.Detail);
            });
            Assert.Equal("FakeUsi random (tc 0+byo300)", Assert.Single(report.Opponents).Opponent);
            Assert.Equal((slowClock, 2, 0), (report.Clock!.TimeControl, report.Clock.Games, report.Clock.TimeLosses)); // the agent's clock
        }

        // Answers at once under a generous clock: no time losses, and the clock names another participant and evaluation.
        var clock = TimeControl.Parse("60000+1000");
        await using (var participants = new ParticipantResolver(new NeuralPlayOptions(), Usi(_dir) with { TimeControl = clock }))
        {
            var arena = new ArenaOptions { Concurrency = 2, Rules = new GameRules { MaxPlies = 30 }, TimeControl = clock };
            var report = await new EvaluationRunner(store, participants)
                .RunAsync(Against(OpponentSpec.Parse($"usi:{Engine("random", "--seed 2")}"), 2, arena), null, CancellationToken.None);
            Assert.Equal(2, report.PlayedGames);
            Assert.DoesNotContain(store.Games(report.EvaluationId), g => g.Termination == TerminationReason.TimeForfeit);
            Assert.Equal("FakeUsi random (tc 60000+1000)", Assert.Single(report.Opponents).Opponent);
            Assert.Equal(2, store.Evaluations().Count);
        }
    }

    [Fact]
    public async Task TwoEnginesStartedThroughOneInterpreterAreTwoParticipants()
    {
        using var store = ResultsStore.Open(Path.Combine(_dir, "keisei.db"));
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), Usi(_dir));
        var request = Against(OpponentSpec.Parse($"usi:{Engine("random", "--seed 1")}"), 2) with
        {
            Opponents = [OpponentSpec.Parse($"usi:{Engine("random", "--seed 1")}"), OpponentSpec.Parse($"usi:{Engine("resign")}")],
            Strategy = EvaluationStrategy.Create("tournament", new ParamReader(new Dictionary<string, object?> { ["num_games_per_opponent"] = 2L }, "evaluation.strategy_params")),
        };
        var report = await new EvaluationRunner(store, participants).RunAsync(request, null, CancellationToken.None);
        Assert.Equal(["FakeUsi random (movetime 20)", "FakeUsi resign (movetime 20)"], report.Opponents.Select(o => o.Opponent).Order(StringComparer.Ordinal));
    }
}
