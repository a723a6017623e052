using Keisei.Evaluation;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Checkpoints;
using Keisei.Shogi;
using Keisei.Training;
using TorchSharp;

namespace Keisei.IntegrationTests;

/// <summary>Evaluations running while training updates: training does all its work, the checkpoint is sound, the service measures itself.</summary>
[Collection("integration")]
public sealed class ContentionTests : TempDirectoryTest
{
    [Fact]
    public async Task EvaluationsThatSpanUpdatesLeaveTrainingCompleteAndMeasured()
    {
        const long total = 384, interval = 128;
        var options = Support.Tiny(total, checkpointInterval: 192);

        // Reference: the same run without evaluation.
        var plainRun = RunDirectory.Create(Dir, "plain");
        TrainingResult plain;
        float[] plainWeights;
        using (var trainer = Trainer.Create(options, plainRun))
        {
            plain = await trainer.RunAsync(null, CancellationToken.None);
            plainWeights = Support.Weights(trainer.Model);
        }

        var run = RunDirectory.Create(Dir, "busy");
        using var store = ResultsStore.Open(run.DatabasePath);
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions());
        using var metrics = new MetricSink(run, jsonl: true, tensorBoard: false);
        // Long games against two anchors and the earlier checkpoints, one at a time: each evaluation outlasts an update.
        var evaluation = Support.Periodic(interval, gamesPerOpponent: 2, maxPlies: 100, anchors: [OpponentSpec.Parse("random"), OpponentSpec.Parse("heuristic")])
            with { Arena = new ArenaOptions { Concurrency = 1, Rules = new GameRules { MaxPlies = 100 } } };
        await using var periodic = new PeriodicEvaluation(run.Name, store, participants, Support.Service(queue: 8), evaluation, metrics);
        using var trainer2 = Trainer.Create(options, run, callbacks: [periodic]);
        var result = await trainer2.RunAsync(null, CancellationToken.None, metrics);
        var busyWeights = Support.Weights(trainer2.Model);
        periodic.Service.Throughput.Finish();
        Assert.True(await Support.WaitUntil(() => periodic.Outcomes.Count == 3 && periodic.Service.InFlight == 0, TimeSpan.FromSeconds(90)),
            $"{periodic.Outcomes.Count} of 3 evaluations finished");
        await periodic.Service.ShutdownAsync(cancelRunning: false);

        // Training did all of its work, and the same work.
        Assert.False(result.Interrupted);
        Assert.Equal(plain.Timesteps, result.Timesteps);
        Assert.Equal(plain.Updates, result.Updates);
        Assert.Equal(plain.Episodes, result.Episodes);
        Assert.Equal(plainWeights, busyWeights);

        // The final checkpoint is usable: it loads, says where training stopped, and plays.
        var checkpoint = CheckpointFile.Load(run.FinalCheckpointPath);
        Assert.Equal(total, checkpoint.Info.Counters["timesteps"]);
        Assert.Equal(6, checkpoint.Info.Counters["updates"]);
        Assert.True(checkpoint.HasOptimizerState);
        using (var input = torch.zeros([1, checkpoint.Info.Model.InputChannels, 9, 9]))
        {
            checkpoint.Model.eval();
            var (logits, value) = checkpoint.Model.forward(input);
            Assert.True(logits.isfinite().all().item<bool>() && value.isfinite().all().item<bool>());
        }
        checkpoint.Model.Dispose();

        // One trigger, one stall measurement; every evaluation measured its latency and ran while training did.
        var service = periodic.Service;
        Assert.Equal(3, service.TriggerStalls.Count);
        Assert.All(service.TriggerStalls, s => Assert.True(s is > 0 and < 5_000, $"stall {s} ms"));
        var outcomes = periodic.Outcomes.OrderBy(o => o.Job.TrainingStep).ToList();
        Assert.Equal([128L, 256, 384], outcomes.Select(o => o.Job.TrainingStep));
        Assert.All(outcomes, o =>
        {
            Assert.Equal(EvaluationStatus.Completed, o.Status);
            Assert.True(o.Latency >= o.Report!.Elapsed, $"latency {o.Latency} below the evaluation's own {o.Report.Elapsed}");
            Assert.True(o.QueueWait >= TimeSpan.Zero);
            Assert.True(o.PeakMemoryOverheadBytes >= 0);
        });
        var (_, _, updatesWith, updatesWithout) = service.Throughput.Summary();
        Assert.True(updatesWith > 0, "no update overlapped an evaluation: the test did not create contention");
        Assert.Equal(6, updatesWith + updatesWithout);
        Assert.Contains(outcomes, o => o.TrainingImpact is not null);
        Assert.Equal(0, service.Skipped);
    }

    [Fact]
    public async Task AdaptiveEvaluationsPlayInAlternateUpdatesAndLeaveTrainingUnchanged()
    {
        const long total = 640, interval = 128;
        var options = Support.Tiny(total);
        float[] plainWeights;
        using (var trainer = Trainer.Create(options, RunDirectory.Create(Dir, "plain")))
        {
            await trainer.RunAsync(null, CancellationToken.None);
            plainWeights = Support.Weights(trainer.Model);
        }

        var run = RunDirectory.Create(Dir, "adaptive");
        using var store = ResultsStore.Open(run.DatabasePath);
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions());
        var evaluation = Support.Periodic(interval, gamesPerOpponent: 2, maxPlies: 100, anchors: [OpponentSpec.Parse("random"), OpponentSpec.Parse("heuristic")]);
        await using var periodic = new PeriodicEvaluation(run.Name, store, participants, Support.Service(queue: 8) with { Adaptive = true }, evaluation);
        var service = periodic.Service;
        Assert.True(service.Throughput.Alternate);
        // Whenever training reports an update, the throttle's turn follows the monitor's: games move only in every other update.
        var turns = new List<bool>();
        service.Throughput.TurnChanged += open =>
        {
            lock (turns) turns.Add(open);
            Assert.Equal(open, service.Throttle.MayPlay);
        };
        using var trainer2 = Trainer.Create(options, run, callbacks: [periodic]);
        var result = await trainer2.RunAsync(null, CancellationToken.None);
        var weights = Support.Weights(trainer2.Model);
        service.Throughput.Finish();
        Assert.True(service.Throttle.MayPlay, "evaluations still held after training ended");
        Assert.Equal((service.Throttle.MaxConcurrency, 1.0), (service.Throttle.Concurrency, service.Throttle.Duty));
        await service.ShutdownAsync(cancelRunning: false);

        Assert.Equal(plainWeights, weights);
        Assert.Equal(10, result.Updates);
        lock (turns)
        {
            Assert.Equal(11, turns.Count);
            Assert.Equal(Enumerable.Range(0, 10).Select(u => u % 2 == 1), turns.Take(10));
        }
        // At most every other update ran beside an evaluation; all five evaluations finished once training let them.
        var (_, _, busy, quiet) = service.Throughput.Summary();
        Assert.Equal(10, busy + quiet);
        Assert.InRange(busy, 1, 5);
        Assert.Equal(5, periodic.Outcomes.Count);
        Assert.All(periodic.Outcomes, o => Assert.Equal(EvaluationStatus.Completed, o.Status));
    }
}
