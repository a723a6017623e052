using Keisei.Evaluation;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Checkpoints;
using Keisei.Shogi;
using Keisei.Training;
using Keisei.Usi;

namespace Keisei.IntegrationTests;

/// <summary>Whatever fails inside an evaluation stays inside it: the outcome says why, the service carries on, training is untouched.</summary>
[Collection("integration")]
public sealed class ErrorBoundaryTests : TempDirectoryTest
{
    private static readonly OpponentSpec Random = OpponentSpec.Parse("random");

    private static UsiPlayOptions Usi => new()
    {
        Limits = UsiGoLimits.MoveTime(10),
        HandshakeTimeout = TimeSpan.FromSeconds(10),
        ReadyTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>A strategy whose planning fails.</summary>
    private sealed class ThrowingStrategy : EvaluationStrategy
    {
        public override string Name => "throwing";

        public override IReadOnlyList<Matchup> Plan(PlanContext context) => throw new InvalidOperationException("plan exploded");
    }

    /// <summary>An agent whose disposal fails (after a completed evaluation).</summary>
    private sealed class BadDisposalFactory(string name) : IPlayerFactory
    {
        private readonly RandomPlayerFactory _inner = new(name);

        public PlayerDescriptor Descriptor => _inner.Descriptor;

        public ValueTask<IPlayer> CreateAsync(int gameSeed, CancellationToken cancellationToken) => _inner.CreateAsync(gameSeed, cancellationToken);

        public ValueTask DisposeAsync() => throw new IOException("dispose exploded");
    }

    private static EvaluationJob Job(string name, Func<CancellationToken, ValueTask<IPlayerFactory>> create, Func<IPlayerFactory, EvaluationRequest> build) =>
        new(name, 0, create, build);

    private static ValueTask<IPlayerFactory> RandomAgent(string name) => ValueTask.FromResult<IPlayerFactory>(new RandomPlayerFactory(name));

    [Fact]
    public async Task EachStageFailsIntoItsOwnOutcomeAndTheServiceCarriesOn()
    {
        await using var h = new Support.Harness(Dir, Support.Service(queue: 16), Usi);
        string missing = Path.Combine(Dir, "no-such.ckpt");
        var arena = new ArenaOptions { Concurrency = 2, MoveTimeout = TimeSpan.FromSeconds(10), Rules = new GameRules { MaxPlies = 30 } };
        var jobs = new[]
        {
            Job("create-agent", _ => throw new InvalidOperationException("agent exploded"), a => Support.Tournament(a, [Random], 2)),
            Job("create-agent-async", async ct =>
            {
                await Task.Yield();
                throw new OutOfMemoryException("no memory for the snapshot");
            }, a => Support.Tournament(a, [Random], 2)),
            Job("bad-strategy", _ => RandomAgent("bad-strategy"), a => Support.Tournament(a, [Random], 2) with
            {
                Strategy = EvaluationStrategy.Create("tournamnet", new ParamReader(new Dictionary<string, object?>(), "evaluation.strategy_params")),
            }),
            Job("missing-opponent", _ => RandomAgent("missing-opponent"),
                a => Support.Tournament(a, [Random, new OpponentSpec("ghost", ParticipantKind.Checkpoint, missing)], 2)),
            Job("strategy-throws", _ => RandomAgent("strategy-throws"), a => Support.Tournament(a, [Random], 2) with { Strategy = new ThrowingStrategy() }),
            Job("engine-crash", _ => RandomAgent("engine-crash"),
                a => Support.Tournament(a, [new OpponentSpec("crasher", ParticipantKind.Usi, Command: Support.FakeEngine("crash", "--after 2"))], 2, arena)),
            Job("bad-disposal", _ => ValueTask.FromResult<IPlayerFactory>(new BadDisposalFactory("bad-disposal")), a => Support.Tournament(a, [Random], 2)),
            Job("healthy", _ => RandomAgent("healthy"), a => Support.Tournament(a, [Random], 2)),
        };
        foreach (var job in jobs) Assert.True(h.Service.TryEnqueue(job));
        Assert.True(await Support.WaitUntil(() => h.Outcomes.Count == jobs.Length, TimeSpan.FromSeconds(60)), $"only {h.Outcomes.Count} outcomes");
        var outcomes = h.Outcomes.Snapshot().ToDictionary(o => o.Job.Name);

        void Failed(string name, string reason)
        {
            var o = outcomes[name];
            Assert.True(o.Status == EvaluationStatus.Failed, $"{name}: {o.Status}");
            Assert.NotNull(o.Error);
            Assert.Contains(reason, o.Error);
            Assert.True(o.Latency > TimeSpan.Zero);
        }
        Failed("create-agent", "agent exploded");
        Failed("create-agent-async", "no memory for the snapshot");
        Failed("bad-strategy", "unknown strategy 'tournamnet'");
        Failed("missing-opponent", "ghost");
        Failed("strategy-throws", "plan exploded");

        // An engine that dies mid-game loses those games with the reason; the evaluation itself completes.
        var crash = outcomes["engine-crash"];
        Assert.Equal(EvaluationStatus.Completed, crash.Status);
        var players = h.Store.Players().ToDictionary(p => p.Name, p => p.Id);
        var games = h.Store.Games(crash.Report!.EvaluationId);
        Assert.Equal(2, games.Count);
        Assert.All(games, g =>
        {
            Assert.Equal(TerminationReason.Disconnect, g.Termination);
            Assert.Equal(0, g.ScoreOf(players["crasher"]));
            Assert.False(string.IsNullOrEmpty(g.Detail));
            Assert.True(g.Plies >= 4, $"the engine crashed after {g.Plies} plies, before its two good moves");
        });
        Assert.Empty(Support.FakeEngineProcesses());

        Assert.Equal(EvaluationStatus.Completed, outcomes["bad-disposal"].Status);
        Assert.Equal(EvaluationStatus.Completed, outcomes["healthy"].Status);
        // Nothing half-done in the store: the failed jobs stored no evaluation, the others finished theirs.
        Assert.Equal(3, h.Store.Evaluations().Count);
        Assert.All(h.Store.Evaluations(), e => Assert.Equal(EvaluationStatus.Completed, e.Status));
    }

    [Fact]
    public async Task AFailingOutcomeHandlerDoesNotStopTheService()
    {
        using var store = ResultsStore.Open(Path.Combine(Dir, "handler.db"));
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), Usi);
        var seen = new Support.OutcomeLog();
        await using var service = new EvaluationService(Support.Service(), store, participants, o =>
        {
            seen.Add(o);
            if (o.Job.Name == "first") throw new InvalidOperationException("handler exploded");
        });
        service.Throughput.Finish();
        Assert.True(service.TryEnqueue(Support.RandomJob("first", [Random])));
        Assert.True(service.TryEnqueue(Support.RandomJob("second", [Random])));
        Assert.True(await Support.WaitUntil(() => seen.Count == 2, TimeSpan.FromSeconds(20)));
        Assert.Equal(["first", "second"], seen.Snapshot().Select(o => o.Job.Name));
        Assert.All(seen.Snapshot(), o => Assert.Equal(EvaluationStatus.Completed, o.Status));
    }

    /// <summary>
    /// The same seeded run three times: without evaluation, with evaluations that all fail (an opponent that cannot be
    /// loaded), and with evaluations that play (including an engine that crashes mid-game). The weights end bit-identical.
    /// </summary>
    [Fact]
    public async Task TrainingEndsBitIdenticalWhetherEvaluationsFailSucceedOrDoNotRun()
    {
        const long total = 320;
        var plain = await Train("plain", null);
        var failing = await Train("failing", [Random, new OpponentSpec("ghost", ParticipantKind.Checkpoint, Path.Combine(Dir, "missing.ckpt"))]);
        var crashing = await Train("crashing", [Random, new OpponentSpec("crasher", ParticipantKind.Usi, Command: Support.FakeEngine("crash", "--after 1"))]);

        Assert.NotNull(failing.Outcomes);
        Assert.Equal(2, failing.Outcomes!.Count);
        Assert.All(failing.Outcomes, o =>
        {
            Assert.Equal(EvaluationStatus.Failed, o.Status);
            Assert.Contains("ghost", o.Error);
        });
        Assert.NotNull(crashing.Outcomes);
        Assert.Equal(2, crashing.Outcomes!.Count);
        Assert.All(crashing.Outcomes, o => Assert.Equal(EvaluationStatus.Completed, o.Status));

        Assert.Equal(plain.Weights, failing.Weights);
        Assert.Equal(plain.Weights, crashing.Weights);
        Assert.Equal(plain.Final, failing.Final);
        Assert.Equal(plain.Final, crashing.Final);
        Assert.Empty(Support.FakeEngineProcesses());

        async Task<(float[] Weights, List<EvaluationOutcome>? Outcomes, (long, long, long) Final)> Train(string name, IReadOnlyList<OpponentSpec>? anchors)
        {
            var run = RunDirectory.Create(Dir, name);
            using var store = ResultsStore.Open(run.DatabasePath);
            await using var participants = new ParticipantResolver(new NeuralPlayOptions(), Usi);
            var periodic = anchors is null ? null
                : new PeriodicEvaluation(run.Name, store, participants, Support.Service(queue: 8), Support.Periodic(128, anchors: anchors, previousPool: 0));
            using var trainer = Trainer.Create(Support.Tiny(total), run, callbacks: periodic is null ? null : [periodic]);
            var result = await trainer.RunAsync(null, CancellationToken.None);
            Assert.Equal(total, result.Timesteps);
            List<EvaluationOutcome>? outcomes = null;
            if (periodic is not null)
            {
                periodic.Service.Throughput.Finish();
                Assert.True(await Support.WaitUntil(() => periodic.Outcomes.Count == 2 && periodic.Service.InFlight == 0, TimeSpan.FromSeconds(60)));
                await periodic.DisposeAsync();
                outcomes = [.. periodic.Outcomes];
            }
            var info = CheckpointFile.ReadInfo(run.FinalCheckpointPath).Info;
            return (Support.Weights(trainer.Model), outcomes, (info.Counters["timesteps"], info.Counters["updates"], info.Counters["episodes"]));
        }
    }
}
