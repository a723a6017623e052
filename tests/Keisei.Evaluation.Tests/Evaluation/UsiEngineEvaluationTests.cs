using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Shogi;
using Keisei.Usi;

namespace Keisei.Evaluation.Tests.Evaluation;

/// <summary>Faulty USI engines (tests/Keisei.FakeUsiEngine) inside a real evaluation: every fault is a loss with its reason and the evaluation goes on.</summary>
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
            ("slowstarter", Engine("slowstart", "--delay-ms 5000"), TerminationReason.Stall),
            ("noready", Engine("noready"), TerminationReason.Stall),
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
            Arena = new ArenaOptions { Concurrency = 4, MoveTimeout = TimeSpan.FromSeconds(1.5), Rules = new GameRules { MaxPlies = 40 } },
        };
        var usi = new UsiPlayOptions
        {
            Limits = UsiGoLimits.MoveTime(20),
            HandshakeTimeout = TimeSpan.FromSeconds(2),
            ReadyTimeout = TimeSpan.FromSeconds(2),
            StderrLogDirectory = _dir,
        };

        using var store = ResultsStore.Open(Path.Combine(_dir, "keisei.db"));
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), usi);
        var report = await new EvaluationRunner(store, participants).RunAsync(request, null, CancellationToken.None);

        Assert.Equal("completed", report.Status);
        Assert.Equal(16, report.PlayedGames);
        var players = store.Players().ToDictionary(p => p.Id, p => p.Name);
        foreach (var (name, _, reason) in faults)
        {
            var games = store.Games(report.EvaluationId).Where(g => players[g.BlackPlayerId] == name || players[g.WhitePlayerId] == name).ToList();
            Assert.Equal(2, games.Count);
            Assert.All(games, g =>
            {
                Assert.True(reason == g.Termination, $"{name}: expected {reason}, found {g.Termination} ({g.Detail})");
                long engine = players.Single(p => p.Value == name).Key;
                Assert.Equal(0, g.ScoreOf(engine));
            });
        }
        var healthy = report.Opponents.Single(o => o.Opponent == "healthy");
        Assert.Equal(2, healthy.Counts.Games);
        Assert.DoesNotContain(store.Games(report.EvaluationId), g => g.Result == GameResult.Ongoing);
    }
}
