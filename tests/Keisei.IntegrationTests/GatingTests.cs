using System.Text.Json.Nodes;
using Keisei.Evaluation;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Service;
using Keisei.Evaluation.Storage;
using Keisei.Training;

namespace Keisei.IntegrationTests;

/// <summary>
/// Gating inside training: every new checkpoint plays the champion in a job marked as a gating match, the ledger decides,
/// and a run rolled back to an earlier checkpoint resumes from it and gates its new checkpoints against the restored champion.
/// Games end after 4 plies, so every game is a draw and each candidate scores exactly one half.
/// </summary>
[Collection("integration")]
public sealed class GatingTests : TempDirectoryTest
{
    private static PeriodicEvaluationOptions Gated(double threshold) => Support.Periodic(1_000_000, maxPlies: 4) with
    {
        Gating = new GatingOptions { Mode = GatingMode.Fixed, Games = 4, Threshold = threshold },
    };

    private static async Task<(List<EvaluationOutcome> Outcomes, float[] Weights, long StartedAt)> Train(RunDirectory run, PeriodicEvaluationOptions evaluation,
        long total, bool resume = false)
    {
        using var store = ResultsStore.Open(run.DatabasePath);
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions());
        await using var periodic = new PeriodicEvaluation(run.Name, store, participants, Support.Service(), evaluation);
        var options = Support.Tiny(total, checkpointInterval: 64);
        using var trainer = resume ? Trainer.Resume(options, run, callbacks: [periodic]) : Trainer.Create(options, run, callbacks: [periodic]);
        long startedAt = trainer.Timesteps;
        await trainer.RunAsync(null, CancellationToken.None);
        periodic.Service.Throughput.Finish();
        // Runs the queued gating matches to their end (a hang guard only).
        await periodic.Service.ShutdownAsync(cancelRunning: false).WaitAsync(TimeSpan.FromMinutes(5));
        return ([.. periodic.Outcomes], Support.Weights(trainer.Model), startedAt);
    }

    private static IReadOnlyList<StoredChampion> Champions(RunDirectory run)
    {
        using var store = ResultsStore.Open(run.DatabasePath);
        return new RunLedger(store).ChampionHistory();
    }

    [Fact]
    public async Task ACheckpointThatHoldsTheChampionToItsThresholdIsPromoted()
    {
        var run = RunDirectory.Create(Dir, "gated");
        var (outcomes, _, _) = await Train(run, Gated(threshold: 0.5), total: 192);

        // 64 had no champion to play; 128 and 192 each played one gating match and drew every game.
        Assert.Equal([run.CheckpointPath(128), run.CheckpointPath(192)], outcomes.Select(o => o.Job.GateCandidate).Order());
        Assert.All(outcomes, o => Assert.Equal((EvaluationStatus.GatePassed, 4, 4), (o.Report!.Status, o.Report.PlayedGames, o.Report.Total.Draws)));
        var history = Champions(run);
        Assert.Equal([(64L, ChampionStatus.Replaced), (128, ChampionStatus.Replaced), (192, ChampionStatus.Active)], history.Select(c => (c.Timesteps, c.Status)));
        var evidence = JsonNode.Parse(history[1].EvidenceJson)!;
        Assert.Equal(("fixed", "gate_passed", 4, 0.5), (evidence["mode"]!.GetValue<string>(), evidence["status"]!.GetValue<string>(),
            evidence["draws"]!.GetValue<int>(), evidence["score"]!.GetValue<double>()));
    }

    [Fact]
    public async Task ACheckpointShortOfTheThresholdLeavesTheChampion()
    {
        var run = RunDirectory.Create(Dir, "rejected");
        var (outcomes, _, _) = await Train(run, Gated(threshold: 0.75), total: 192);

        Assert.Equal(2, outcomes.Count);
        Assert.All(outcomes, o => Assert.Equal(EvaluationStatus.GateFailed, o.Report!.Status));
        var champion = Assert.Single(Champions(run));
        Assert.Equal((run.CheckpointPath(64), ChampionStatus.Active), (champion.CheckpointPath, champion.Status));
    }

    [Fact]
    public async Task ARunRolledBackToACheckpointResumesFromItAndGatesAgainstTheRestoredChampion()
    {
        var run = RunDirectory.Create(Dir, "rolled");
        await Train(run, Gated(threshold: 0.5), total: 256);
        string aside = Path.Combine(run.CheckpointsPath, "rolled_back");
        using (var store = ResultsStore.Open(run.DatabasePath))
        {
            var result = new RunLedger(store).RollBack(run, "checkpoint_ts128.ckpt");
            Assert.Equal((run.CheckpointPath(128), 128L, 3), (result.CheckpointPath, result.Timesteps, result.Moved));
        }
        Assert.Equal([(64L, ChampionStatus.Replaced), (128, ChampionStatus.Active), (192, ChampionStatus.RolledBack), (256, ChampionStatus.RolledBack)],
            Champions(run).Select(c => (c.Timesteps, c.Status)));

        var (outcomes, weights, startedAt) = await Train(run, Gated(threshold: 0.5), total: 256, resume: true);

        // Training went on from 128 exactly as a run that never went past it.
        Assert.Equal(128, startedAt);
        Assert.False(File.Exists(run.ResumeFromPath));
        var straightRun = RunDirectory.Create(Dir, "straight");
        using (var straight = Trainer.Create(Support.Tiny(256, checkpointInterval: 64), straightRun))
        {
            await straight.RunAsync(null, CancellationToken.None);
            Assert.Equal(Support.Weights(straight.Model), weights);
        }

        // The new 192 and 256 were gated against the restored champion and promoted; the rolled-back ones stay aside.
        Assert.Equal([run.CheckpointPath(192), run.CheckpointPath(256)], outcomes.Select(o => o.Job.GateCandidate).Order());
        Assert.All(outcomes, o => Assert.True(o.Report?.Status == EvaluationStatus.GatePassed, $"{o.Job.Name}: {o.Status} {o.Error}"));
        Assert.Equal(
            [(64L, ChampionStatus.Replaced), (128, ChampionStatus.Replaced), (192, ChampionStatus.RolledBack), (256, ChampionStatus.RolledBack),
                (192, ChampionStatus.Replaced), (256, ChampionStatus.Active)],
            Champions(run).Select(c => (c.Timesteps, c.Status)));
        using (var store = ResultsStore.Open(run.DatabasePath))
        {
            var ledger = new RunLedger(store);
            Assert.Equal([run.CheckpointPath(64), run.CheckpointPath(128), run.CheckpointPath(192), run.CheckpointPath(256)], ledger.Pool().Select(c => c.Path));
            var rolledBack = ledger.Checkpoints().Where(c => c.Status == CheckpointStatus.RolledBack).ToList();
            Assert.Equal([Path.Combine(aside, "checkpoint_ts192.ckpt"), Path.Combine(aside, "checkpoint_ts256.ckpt")], rolledBack.Select(c => c.Path));
            // The participants that played as the rolled-back 192 and 256 were renamed; the new ones play under the plain names.
            foreach (var c in rolledBack)
                Assert.Equal(c.Sha256, store.FindPlayer($"rolled/rolled_back/{Path.GetFileNameWithoutExtension(c.Path)}")?.CheckpointSha256);
            Assert.Equal(ledger.Pool()[2].Sha256, store.FindPlayer("rolled/checkpoint_ts192")?.CheckpointSha256);
        }
        Assert.True(File.Exists(Path.Combine(aside, "final_ts256.ckpt")));
    }
}
