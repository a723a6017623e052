using System.Text.Json;
using Keisei.Evaluation;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Storage;
using Keisei.Training;

namespace Keisei.IntegrationTests;

/// <summary>Periodic evaluation fires once per crossed multiple of its interval, whatever the rollout size, and its results land at the right step.</summary>
[Collection("integration")]
public sealed class TriggerTests : TempDirectoryTest
{
    /// <summary>Update ends of a run of <paramref name="total"/> timesteps with <paramref name="steps"/> per update (the last one may be shorter).</summary>
    private static List<(long Before, long After)> Updates(long total, int steps, long start = 0)
    {
        var list = new List<(long, long)>();
        for (long t = start; t < total; t += Math.Min(steps, total - t)) list.Add((t, t + Math.Min(steps, total - t)));
        return list;
    }

    [Theory]
    [InlineData(64L, 3200L)]
    [InlineData(100L, 3200L)]
    [InlineData(150L, 3200L)]
    [InlineData(1000L, 3200L)]
    [InlineData(64L, 3237L)]
    [InlineData(100L, 3237L)]
    [InlineData(150L, 3237L)]
    [InlineData(1000L, 3237L)]
    [InlineData(100L, 130L)]
    [InlineData(7L, 1000L)]
    public void CrossedFiresOncePerMultipleAtTheFirstUpdateThatReachesIt(long interval, long total)
    {
        var fired = Updates(total, 64).Where(u => PeriodicEvaluation.Crossed(u.Before, u.After, interval)).Select(u => u.After).ToList();
        // The k-th multiple is caught by the first update that reaches it; an update that crosses several fires once.
        var expected = Enumerable.Range(1, (int)(total / interval)).Select(k => Math.Min(total, (k * interval + 63) / 64 * 64)).Distinct().ToList();
        Assert.Equal(expected, fired);
        if (interval >= 64) Assert.Equal(total / interval, fired.Count);
    }

    [Fact]
    public void CrossedNeverFiresWithoutProgressOrInterval()
    {
        Assert.False(PeriodicEvaluation.Crossed(100, 100, 100));
        Assert.False(PeriodicEvaluation.Crossed(0, 1000, 0));
        Assert.False(PeriodicEvaluation.Crossed(101, 199, 100));
        Assert.True(PeriodicEvaluation.Crossed(99, 100, 100));
        Assert.True(PeriodicEvaluation.Crossed(100, 200, 100));
        Assert.False(PeriodicEvaluation.Crossed(100, 199, 100));
    }

    /// <summary>
    /// The callback itself, driven through a simulated run (statuses as the trainer reports them, the last update short):
    /// one trigger (one recorded stall, one queued job) per crossed multiple.
    /// </summary>
    [Theory]
    [InlineData(64L, 1000L)]
    [InlineData(100L, 1000L)]
    [InlineData(100L, 330L)]
    [InlineData(150L, 1000L)]
    [InlineData(1000L, 1000L)]
    [InlineData(300L, 1010L)]
    public async Task TheCallbackTriggersOncePerCrossedMultipleOverASimulatedRun(long interval, long total)
    {
        var run = RunDirectory.Create(Dir, $"sim-{interval}-{total}");
        using var store = ResultsStore.Open(run.DatabasePath);
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions());
        using var trainer = Trainer.Create(Support.Tiny(total), run);
        var periodic = new PeriodicEvaluation(run.Name, store, participants, Support.Service(queue: 1000), Support.Periodic(interval));
        await using (periodic)
        {
            // The test counts triggers, not evaluations: a stopped service refuses the jobs, each trigger still records its stall.
            await periodic.Service.ShutdownAsync(cancelRunning: true);
            int update = 0;
            foreach (var (before, after) in Updates(total, 64))
            {
                // As the trainer reports an update: its timesteps after it, and how many it added.
                var status = new TrainingStatus(after, total, ++update, 0, 1000, 1000, null, 0, 0, 0, 0, null, TimeSpan.Zero, null)
                {
                    StepsThisUpdate = after - before,
                };
                await periodic.OnUpdateAsync(trainer, status, CancellationToken.None);
            }
            Assert.Equal(total / interval, periodic.Service.TriggerStalls.Count);
        }
    }

    /// <summary>
    /// A real run of 330 timesteps (64 per update, the last update 10) with an interval of 100: evaluations at 128, 256
    /// and 320, each stored in the run's database and logged in metrics.jsonl at its own step.
    /// </summary>
    [Fact]
    public async Task ARealRunEvaluatesAtEachCrossedMultipleAndLogsAtThatStep()
    {
        const long total = 330, interval = 100;
        long[] expectedSteps = [128, 256, 320];
        var run = RunDirectory.Create(Dir, "real");
        using var store = ResultsStore.Open(run.DatabasePath);
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions());
        using var metrics = new MetricSink(run, jsonl: true, tensorBoard: false);
        await using var periodic = new PeriodicEvaluation(run.Name, store, participants, Support.Service(queue: 16), Support.Periodic(interval), metrics);
        using var trainer = Trainer.Create(Support.Tiny(total), run, callbacks: [periodic]);

        var result = await trainer.RunAsync(null, CancellationToken.None, metrics);
        Assert.Equal(total, result.Timesteps);
        Assert.Equal(6, result.Updates);
        periodic.Service.Throughput.Finish();
        // The trigger count is exact at once; the evaluations follow on the worker.
        Assert.Equal(expectedSteps.Length, periodic.Service.TriggerStalls.Count);
        Assert.True(await Support.WaitUntil(() => Count(periodic) >= expectedSteps.Length, TimeSpan.FromSeconds(60)), "evaluations did not finish");
        await periodic.Service.ShutdownAsync(cancelRunning: false);

        var outcomes = periodic.Outcomes.ToList();
        Assert.Equal(expectedSteps, outcomes.Select(o => o.Job.TrainingStep).Order());
        Assert.All(outcomes, o => Assert.True(o.Status == EvaluationStatus.Completed, $"{o.Job.Name}: {o.Status} {o.Error}"));
        Assert.Equal(0, periodic.Service.Skipped);

        // Stored: one evaluation per trigger, agent named after its step, all planned games played, game indices unique.
        var evaluations = store.Evaluations();
        Assert.Equal(expectedSteps.Length, evaluations.Count);
        var players = store.Players().ToDictionary(p => p.Id, p => p.Name);
        Assert.Equal(expectedSteps.Select(s => $"{run.Name}@ts{s}").Order(), evaluations.Select(e => players[e.AgentPlayerId]).Order());
        foreach (var e in evaluations)
        {
            Assert.Equal(EvaluationStatus.Completed, e.Status);
            var games = store.Games(e.Id);
            Assert.Equal(e.PlannedGames, games.Count);
            Assert.Equal(games.Count, games.Select(g => g.GameIndex).Distinct().Count());
        }

        // metrics.jsonl: the evaluation lines carry the trigger's timesteps (not the step at which they finished).
        var scored = File.ReadAllLines(run.MetricsPath).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("evaluation/score", out _)).ToList();
        Assert.Equal(expectedSteps, scored.Select(e => e.GetProperty("timesteps").GetInt64()).Order());
        // ... and the figures of the evaluation of that step (the pool may differ per evaluation: final.ckpt joins once written).
        var planned = evaluations.ToDictionary(e => players[e.AgentPlayerId], e => e.PlannedGames);
        Assert.All(scored, e => Assert.Equal(planned[$"{run.Name}@ts{e.GetProperty("timesteps").GetInt64()}"], e.GetProperty("evaluation/total_games").GetDouble()));
    }

    private static int Count(PeriodicEvaluation periodic)
    {
        lock (periodic.Outcomes) return periodic.Outcomes.Count;
    }
}
