using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Shogi;

namespace Keisei.Evaluation.Tests.Evaluation;

public sealed class RunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Db => Path.Combine(_dir, "keisei.db");

    private static ParamReader Params(Dictionary<string, object?>? values = null) => new(values ?? [], "evaluation.strategy_params");

    private static EvaluationRequest Request(IPlayerFactory agent, string strategy, int games, ParamReader? p = null, params OpponentSpec[] opponents) => new()
    {
        Agent = agent,
        Strategy = EvaluationStrategy.Create(strategy, p ?? Params()),
        Opponents = opponents,
        NumGames = games,
        Seed = 5,
        Arena = new ArenaOptions { Concurrency = 2, Rules = new GameRules { MaxPlies = 256 } },
    };

    private async Task<EvaluationReport> Run(EvaluationRequest request, CancellationToken ct = default, IProgress<EvaluationProgress>? progress = null)
    {
        using var store = ResultsStore.Open(Db);
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions());
        return await new EvaluationRunner(store, participants).RunAsync(request, progress, ct);
    }

    [Theory]
    [InlineData(5.0, 6, true)] // half of 10 reached early
    [InlineData(1.0, 6, null)] // 1 + 4 still to play can reach 5
    [InlineData(0.5, 6, false)] // 0.5 + 4 cannot
    [InlineData(4.5, 10, false)] // all played, short
    [InlineData(5.0, 10, true)] // a tie goes to the candidate
    public void AFixedGateDecidesAsSoonAsTheRemainingGamesCannotChangeIt(double points, int played, bool? expected) =>
        Assert.Equal(expected, new FixedMatchGate(0.5).Decide(points, played, planned: 10));

    [Fact]
    public async Task SingleOpponentPlaysColourSwappedPairsAndStoresEveryGame()
    {
        var report = await Run(Request(new HeuristicPlayerFactory("agent"), "single_opponent", 9, null, OpponentSpec.Parse("random")));
        Assert.Equal(EvaluationStatus.Completed, report.Status);
        Assert.Equal(10, report.PlannedGames);
        Assert.Equal(10, report.PlayedGames);
        var vsRandom = Assert.Single(report.Opponents);
        Assert.Equal(5, vsRandom.AsBlack.Games);
        Assert.Equal(5, vsRandom.AsWhite.Games);
        Assert.Equal(5, vsRandom.Pairs.Pairs);
        Assert.NotNull(vsRandom.PairElo);

        using var store = ResultsStore.Open(Db);
        var games = store.Games(report.EvaluationId);
        Assert.Equal(10, games.Count);
        Assert.Equal(10, games.Select(g => g.GameIndex).Distinct().Count());
        Assert.All(games, g => Assert.Equal(g.Moves.Count, g.MoveTimes?.Count));
        var agentId = store.FindPlayer("agent")!.Id;
        Assert.Equal(5, games.Count(g => g.BlackPlayerId == agentId));
        Assert.NotEqual(1500, store.FindPlayer("agent")!.IncrementalElo);
        Assert.Equal(1, store.RatingSnapshotCount());
    }

    [Fact]
    public async Task HeuristicBeatsRandom()
    {
        var report = await Run(Request(new HeuristicPlayerFactory("heuristic"), "single_opponent", 20, null, OpponentSpec.Parse("random")));
        Assert.True(report.TotalElo.Score > 0.75, $"heuristic scored only {report.TotalElo.Score}");
        Assert.True(report.TotalElo.ScoreInterval.Lower > 0.5);
    }

    [Fact]
    public async Task AnInterruptedEvaluationResumesWithExactlyThePlannedGames()
    {
        var request = Request(new HeuristicPlayerFactory("agent"), "single_opponent", 24, null, OpponentSpec.Parse("random"));
        using (var cts = new CancellationTokenSource())
        {
            var progress = new Progress(p => { if (p.Done >= 6) cts.Cancel(); });
            var partial = await Run(request, cts.Token, progress);
            Assert.Equal(EvaluationStatus.Stopped, partial.Status);
            Assert.InRange(partial.PlayedGames, 6, 23);
        }
        var resumed = await Run(request with { Agent = new HeuristicPlayerFactory("agent") });
        Assert.Equal(EvaluationStatus.Completed, resumed.Status);
        Assert.Equal(24, resumed.PlayedGames);
        using var store = ResultsStore.Open(Db);
        Assert.Single(store.Evaluations());
        var indices = store.Games(resumed.EvaluationId).Select(g => g.GameIndex).ToList();
        Assert.Equal(Enumerable.Range(0, 24), indices.Order());

        var again = await Run(request with { Agent = new HeuristicPlayerFactory("agent") });
        Assert.Equal(24, again.PlayedGames);
        Assert.Equal(24, ResultsStore.Open(Db).Games(resumed.EvaluationId).Count);
    }

    [Fact]
    public async Task SprtStopsEarlyOnceDecided()
    {
        var request = Request(new HeuristicPlayerFactory("agent"), "single_opponent", 400, null, OpponentSpec.Parse("random")) with
        {
            Sprt = SprtParameters.Parse("elo0=0,elo1=100,alpha=0.05,beta=0.05,model=logistic"),
        };
        var report = await Run(request);
        Assert.Equal(EvaluationStatus.SprtAcceptedH1, report.Status);
        Assert.True(report.PlayedGames < 400);
        Assert.Equal(SprtDecision.AcceptH1, report.Sprt!.Value.Decision);
    }

    [Fact]
    public async Task TournamentGauntletPlaysEveryOpponent()
    {
        var report = await Run(Request(new HeuristicPlayerFactory("agent"), "tournament", 8, null, OpponentSpec.Parse("random"), OpponentSpec.Parse("heuristic")));
        Assert.Equal(["heuristic", "random"], report.Opponents.Select(o => o.Opponent));
        Assert.All(report.Opponents, o => Assert.Equal(4, o.Counts.Games));
        Assert.Equal(3, report.Pool.Count);
    }

    [Fact]
    public async Task TournamentRoundRobinPlaysEveryPair()
    {
        var p = Params(new() { ["mode"] = "round_robin", ["num_games_per_opponent"] = 2L });
        var report = await Run(Request(new RandomPlayerFactory("agent"), "tournament", 0, p, OpponentSpec.Parse("random"), OpponentSpec.Parse("heuristic")));
        Assert.Equal(6, report.PlannedGames);
        Assert.Equal(4, report.Opponents.Sum(o => o.Counts.Games));
    }

    [Fact]
    public async Task BenchmarkReportsCasesAndPassRate()
    {
        var p = Params(new()
        {
            ["suite_config"] = new List<object?>
            {
                new Dictionary<string, object?> { ["name"] = "vs-random", ["type"] = "random" },
                new Dictionary<string, object?>
                {
                    ["name"] = "tsume", ["type"] = "random", ["games"] = 1L,
                    ["metadata"] = new Dictionary<string, object?> { ["initial_sfen"] = "8k/9/8P/9/9/9/9/9/K8 b G 1" },
                },
            },
        });
        var report = await Run(Request(new HeuristicPlayerFactory("agent"), "benchmark", 0, p));
        Assert.Equal(3, report.PlannedGames);
        Assert.Equal(2, report.Benchmark.Count);
        var tsume = report.Benchmark.Single(b => b.Case == "tsume");
        Assert.True(tsume.Passed);
        Assert.Equal(1, tsume.Counts.Wins);
        Assert.NotNull(report.BenchmarkPassRate);
    }

    [Fact]
    public async Task CustomSequencePlaysTheGivenSteps()
    {
        var p = Params(new()
        {
            ["custom_sequence"] = new List<object?>
            {
                new Dictionary<string, object?> { ["opponent"] = "random", ["games"] = 2L },
                new Dictionary<string, object?> { ["opponent"] = "heuristic", ["games"] = 4L },
            },
        });
        var report = await Run(Request(new HeuristicPlayerFactory("agent"), "custom", 0, p));
        Assert.Equal(6, report.PlannedGames);
        Assert.Equal(2, report.Opponents.Single(o => o.Opponent == "random").Counts.Games);
    }

    [Fact]
    public async Task LadderPicksOpponentsNearTheAgentsRating()
    {
        var pool = Params(new()
        {
            ["num_opponents_per_evaluation"] = 1L,
            ["num_games_per_match"] = 2L,
            ["opponent_pool_config"] = new List<object?>
            {
                new Dictionary<string, object?> { ["name"] = "far", ["type"] = "random", ["initial_rating"] = 900.0 },
                new Dictionary<string, object?> { ["name"] = "near", ["type"] = "heuristic", ["initial_rating"] = 1520.0 },
            },
        });
        var report = await Run(Request(new RandomPlayerFactory("agent"), "ladder", 0, pool));
        Assert.Equal("near", Assert.Single(report.Opponents).Opponent);
    }

    [Fact]
    public async Task ResumingWithADifferentPlanIsRefused()
    {
        var first = await Run(Request(new HeuristicPlayerFactory("agent"), "single_opponent", 2, null, OpponentSpec.Parse("random")));
        var other = Request(new HeuristicPlayerFactory("agent"), "single_opponent", 4, null, OpponentSpec.Parse("random")) with { ResumeId = first.EvaluationId };
        var e = await Assert.ThrowsAsync<EvaluationConfigException>(() => Run(other));
        Assert.Contains("different plan", e.Message);
    }

    private sealed class Progress(Action<EvaluationProgress> action) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => action(value);
    }
}
