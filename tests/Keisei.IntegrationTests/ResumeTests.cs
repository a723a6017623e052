using Keisei.Evaluation;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Checkpoints;
using Keisei.Shogi;
using Keisei.Training;

namespace Keisei.IntegrationTests;

/// <summary>A run stopped while evaluations are queued or running resumes cleanly, with its checkpoint pool and without duplicated games.</summary>
[Collection("integration")]
public sealed class ResumeTests : TempDirectoryTest
{
    private const long Total = 448, Interval = 96, CheckpointInterval = 128;

    /// <summary>Slow enough that the evaluation triggered by the stopping update is still queued or running when training stops.</summary>
    private static PeriodicEvaluationOptions Evaluation => Support.Periodic(Interval, gamesPerOpponent: 4, maxPlies: 100,
        anchors: [OpponentSpec.Parse("random"), OpponentSpec.Parse("heuristic")]) with
    {
        Arena = new ArenaOptions { Concurrency = 1, Rules = new GameRules { MaxPlies = 100 } },
    };

    [Fact]
    public async Task AStoppedRunWithPendingEvaluationsResumesWithItsPoolAndNoDuplicateGames()
    {
        var options = Support.Tiny(Total, CheckpointInterval);
        var run = RunDirectory.Create(Dir, "resumed");

        // Part 1: stopped (as by Ctrl-C) after the update that reaches 192, whose trigger queues an evaluation.
        List<EvaluationOutcome> first;
        using (var store = ResultsStore.Open(run.DatabasePath))
        {
            await using var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions());
            using var metrics = new MetricSink(run, jsonl: true, tensorBoard: false);
            await using var periodic = new PeriodicEvaluation(run.Name, store, participants, Support.Service(queue: 4), Evaluation, metrics);
            using var trainer = Trainer.Create(options, run, callbacks: [periodic]);
            using var stop = new CancellationTokenSource();
            var result = await trainer.RunAsync(new Support.StopAfter(192, stop), stop.Token, metrics);
            Assert.True(result.Interrupted);
            Assert.Equal(192, result.Timesteps);
            Assert.Equal(2, periodic.Service.TriggerStalls.Count);
            Assert.True(periodic.Service.InFlight + periodic.Service.PendingCount > 0, "no evaluation was queued or running when training stopped");
            // As keisei train does on Ctrl-C.
            periodic.Service.Throughput.Finish();
            await periodic.Service.ShutdownAsync(cancelRunning: true);
            Assert.Equal(0, periodic.Service.InFlight);
            first = [.. periodic.Outcomes];
        }
        Assert.Contains(first, o => o.Status == EvaluationStatus.Cancelled);
        var poolBefore = Pool(run);
        Assert.Contains(poolBefore, c => c.Timesteps == 128);
        Assert.Contains(poolBefore, c => c.Timesteps == 192);

        // Part 2: resumed with a new periodic evaluation over the same run database.
        List<EvaluationOutcome> second;
        float[] resumedWeights;
        using (var store = ResultsStore.Open(run.DatabasePath))
        {
            await using var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions());
            using var metrics = new MetricSink(run, jsonl: true, tensorBoard: false);
            await using var periodic = new PeriodicEvaluation(run.Name, store, participants, Support.Service(queue: 4), Evaluation, metrics);
            using var trainer = Trainer.Resume(options, run, callbacks: [periodic]);
            Assert.Equal(192, trainer.Timesteps);
            var result = await trainer.RunAsync(null, CancellationToken.None, metrics);
            Assert.False(result.Interrupted);
            Assert.Equal(Total, result.Timesteps);
            Assert.Equal(7, result.Updates);
            resumedWeights = Support.Weights(trainer.Model);
            periodic.Service.Throughput.Finish();
            Assert.True(await Support.WaitUntil(() => periodic.Outcomes.Count == 2 && periodic.Service.InFlight == 0, TimeSpan.FromSeconds(90)),
                $"{periodic.Outcomes.Count} of 2 evaluations finished");
            await periodic.Service.ShutdownAsync(cancelRunning: false);
            second = [.. periodic.Outcomes];
        }

        // Training went on from the checkpoint exactly as an uninterrupted run without evaluation.
        var straightRun = RunDirectory.Create(Dir, "straight");
        using (var straight = Trainer.Create(options, straightRun))
        {
            await straight.RunAsync(null, CancellationToken.None);
            Assert.Equal(Support.Weights(straight.Model), resumedWeights);
        }

        // The resumed evaluations ran at their own steps and played the checkpoints registered before the stop.
        Assert.Equal([320L, 384], second.Select(o => o.Job.TrainingStep).Order());
        Assert.All(second, o => Assert.True(o.Status == EvaluationStatus.Completed, $"{o.Job.Name}: {o.Status} {o.Error}"));
        foreach (var o in second)
        {
            var opponents = o.Report!.Opponents.Select(r => r.Opponent).ToList();
            Assert.Contains($"{run.Name}/checkpoint_ts128", opponents);
            Assert.Contains(poolBefore.Where(c => c.Timesteps == 192), c => opponents.Contains($"{run.Name}/{Path.GetFileNameWithoutExtension(c.Path)}"));
        }

        using (var store = ResultsStore.Open(run.DatabasePath))
        {
            // The pool of part 1 is still there, and each entry still holds the weights it was registered with.
            var pool = store.Checkpoints();
            foreach (var c in poolBefore) Assert.Contains(pool, p => p.Path == c.Path && p.Sha256 == c.Sha256);
            Assert.All(pool, c =>
            {
                Assert.True(File.Exists(c.Path), $"{c.Path} is gone");
                var (info, sha) = CheckpointFile.ReadInfo(c.Path);
                Assert.True(sha == c.Sha256, $"{Path.GetFileName(c.Path)} was registered at {c.Timesteps} timesteps but now holds {info.Counters["timesteps"]}");
                Assert.Equal(c.Timesteps, info.Counters["timesteps"]);
            });
            Assert.Equal(pool.Count, pool.Select(c => c.Timesteps).Distinct().Count());

            // No game stored twice, none beyond the plan, no evaluation left looking as if it still ran.
            var games = store.Games();
            Assert.Equal(games.Count, games.Select(g => (g.EvaluationId, g.GameIndex)).Distinct().Count());
            foreach (var e in store.Evaluations())
            {
                Assert.NotEqual(EvaluationStatus.Running, e.Status);
                Assert.True(games.Count(g => g.EvaluationId == e.Id) <= e.PlannedGames);
            }
            var players = store.Players().ToDictionary(p => p.Id, p => p.Name);
            Assert.Equal(store.Evaluations().Count, store.Evaluations().Select(e => players[e.AgentPlayerId]).Distinct().Count());
        }
    }

    /// <summary>
    /// Stopped right after an interval checkpoint, final.ckpt repeats its weights and must not join the pool a second time;
    /// a run that ends between interval checkpoints adds its final weights once, under a name no later training overwrites.
    /// </summary>
    [Fact]
    public async Task TheFinalCheckpointJoinsThePoolOnlyWithNewWeightsAndUnderAStableName()
    {
        var run = RunDirectory.Create(Dir, "final");
        var evaluation = Support.Periodic(1_000_000);
        async Task Train(bool resume, long total, long? stopAt)
        {
            using var store = ResultsStore.Open(run.DatabasePath);
            await using var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions());
            await using var periodic = new PeriodicEvaluation(run.Name, store, participants, Support.Service(), evaluation);
            var options = Support.Tiny(total, checkpointInterval: 128);
            using var trainer = resume ? Trainer.Resume(options, run, callbacks: [periodic]) : Trainer.Create(options, run, callbacks: [periodic]);
            using var stop = new CancellationTokenSource();
            await trainer.RunAsync(stopAt is { } at ? new Support.StopAfter(at, stop) : null, stop.Token);
        }

        await Train(resume: false, total: 384, stopAt: 128);
        Assert.Equal([128L], Pool(run).Select(c => c.Timesteps));
        Assert.Equal(run.CheckpointPath(128), Pool(run).Single().Path);

        await Train(resume: true, total: 384, stopAt: 192);
        Assert.Equal([128L, 192], Pool(run).Select(c => c.Timesteps));
        await Train(resume: true, total: 320, stopAt: null);
        var pool = Pool(run);
        Assert.Equal([128L, 192, 256, 320], pool.Select(c => c.Timesteps));
        Assert.DoesNotContain(pool, c => c.Path == run.FinalCheckpointPath);
        Assert.All(pool, c => Assert.Equal(c.Sha256, CheckpointFile.ReadInfo(c.Path).Sha256));
    }

    private static IReadOnlyList<StoredCheckpoint> Pool(RunDirectory run)
    {
        using var store = ResultsStore.Open(run.DatabasePath);
        return store.Checkpoints();
    }
}
