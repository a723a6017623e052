using System.Text.Json.Nodes;
using Keisei.Evaluation;
using Keisei.Evaluation.Arena;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Statistics;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Neural.Checkpoints;
using Keisei.Neural.Models;
using Keisei.Shogi;

namespace Keisei.Training.Tests;

/// <summary>
/// The run ledger: registration, the gating decision on real matches (SPRT and fixed), promotion with evidence, and
/// rollback to a checkpoint and to the previous champion (files moved and marked, champions rolled back).
/// </summary>
[Collection("torch")]
public sealed class RunLedgerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keisei-ledger-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes a small checkpoint whose counters say <paramref name="timesteps"/>.</summary>
    internal static string WriteCheckpoint(string path, long timesteps)
    {
        using var model = PolicyValueModel.Create(new ModelConfig { Architecture = ModelConfig.Quick, Channels = 8, Layers = 0 }, seed: (int)timesteps);
        CheckpointFile.Save(path, model, new CheckpointInfo { Model = model.Config, Counters = { ["timesteps"] = timesteps } });
        return path;
    }

    /// <summary>A run with checkpoints at 64, 128, 192, 256 registered (and final.ckpt at 256).</summary>
    private (RunDirectory Run, ResultsStore Store, RunLedger Ledger) RunWithCheckpoints()
    {
        var run = RunDirectory.Create(_dir, "run");
        var store = ResultsStore.Open(run.DatabasePath);
        var ledger = new RunLedger(store);
        foreach (long ts in new long[] { 64, 128, 192, 256 })
            Assert.Equal(run.CheckpointPath(ts), ledger.RegisterCheckpoint(run, WriteCheckpoint(run.CheckpointPath(ts), ts), ts));
        WriteCheckpoint(run.FinalCheckpointPath, 256);
        return (run, store, ledger);
    }

    /// <summary>A real match: <paramref name="agent"/> against <paramref name="opponent"/>, stopped by an SPRT or a fixed gate.</summary>
    private async Task<EvaluationReport> Match(IPlayerFactory agent, string opponent, SprtParameters? sprt = null, FixedMatchGate? gate = null, int games = 40)
    {
        using var store = ResultsStore.Open(Path.Combine(_dir, "matches.db"));
        await using var participants = new ParticipantResolver(new NeuralPlayOptions(), new UsiPlayOptions());
        var request = new EvaluationRequest
        {
            Agent = agent,
            Strategy = EvaluationStrategy.Create("single_opponent", new ParamReader(new Dictionary<string, object?>(), "evaluation.strategy_params")),
            Opponents = [OpponentSpec.Parse(opponent)],
            NumGames = games,
            Seed = 5,
            Arena = new ArenaOptions { Concurrency = 2, Rules = new GameRules { MaxPlies = 256 } },
            Sprt = sprt,
            Gate = gate,
        };
        return await new EvaluationRunner(store, participants).RunAsync(request, null, CancellationToken.None);
    }

    private static readonly SprtParameters Sprt = SprtParameters.Parse("elo0=0,elo1=100,alpha=0.05,beta=0.05,model=logistic");

    [Fact]
    public void TheFirstCheckpointBecomesChampionAtOnceAndLaterOnesMustBeatIt()
    {
        var (run, store, ledger) = RunWithCheckpoints();
        using var _ = store;
        Assert.Null(ledger.Champion());
        Assert.Null(ledger.ChampionToBeat(run.CheckpointPath(64), 64));
        var first = Assert.Single(ledger.ChampionHistory());
        Assert.Equal((run.CheckpointPath(64), 64L, ChampionStatus.Active), (first.CheckpointPath, first.Timesteps, first.Status));
        Assert.Equal("first checkpoint of the run (no champion yet)", JsonNode.Parse(first.EvidenceJson)!["reason"]!.GetValue<string>());
        Assert.Equal(first.Id, ledger.ChampionToBeat(run.CheckpointPath(128), 128)?.Id);
        Assert.Single(ledger.ChampionHistory());

        // A champion whose file is gone cannot be played: the next candidate takes its place.
        File.Delete(run.CheckpointPath(64));
        Assert.Null(ledger.ChampionToBeat(run.CheckpointPath(128), 128));
        Assert.Equal([ChampionStatus.Replaced, ChampionStatus.Active], ledger.ChampionHistory().Select(c => c.Status));
    }

    [Fact]
    public async Task ACandidateAcceptedBySprtIsPromotedWithTheMatchAsEvidence()
    {
        var (run, store, ledger) = RunWithCheckpoints();
        using var _ = store;
        ledger.ChampionToBeat(run.CheckpointPath(64), 64);
        var report = await Match(new HeuristicPlayerFactory("candidate"), "random", sprt: Sprt, games: 400);
        Assert.Equal(EvaluationStatus.SprtAcceptedH1, report.Status);

        Assert.True(ledger.Judge(run.CheckpointPath(128), 128, GatingMode.Sprt, report));
        Assert.Equal(run.CheckpointPath(128), ledger.Champion()!.CheckpointPath);
        Assert.Equal([ChampionStatus.Replaced, ChampionStatus.Active], ledger.ChampionHistory().Select(c => c.Status));
        var evidence = JsonNode.Parse(ledger.Champion()!.EvidenceJson)!;
        Assert.Equal("sprt", evidence["mode"]!.GetValue<string>());
        Assert.Equal("sprt_accepted_h1", evidence["status"]!.GetValue<string>());
        Assert.Equal(report.EvaluationId, evidence["evaluation_id"]!.GetValue<long>());
        Assert.Equal(report.Total.Wins, evidence["wins"]!.GetValue<int>());
        Assert.Equal(report.Sprt!.Value.Llr, evidence["llr"]!.GetValue<double>());
    }

    [Fact]
    public async Task ACandidateThatPassesAFixedMatchIsPromoted()
    {
        var (run, store, ledger) = RunWithCheckpoints();
        using var _ = store;
        ledger.ChampionToBeat(run.CheckpointPath(64), 64);
        var report = await Match(new HeuristicPlayerFactory("candidate"), "random", gate: new FixedMatchGate(0.6), games: 10);
        Assert.Equal(EvaluationStatus.GatePassed, report.Status);

        Assert.True(ledger.Judge(run.CheckpointPath(192), 192, GatingMode.Fixed, report));
        var champion = ledger.Champion()!;
        Assert.Equal((run.CheckpointPath(192), 192L), (champion.CheckpointPath, champion.Timesteps));
        var evidence = JsonNode.Parse(champion.EvidenceJson)!;
        Assert.Equal("fixed", evidence["mode"]!.GetValue<string>());
        Assert.Equal("gate_passed", evidence["status"]!.GetValue<string>());
        Assert.Equal(report.TotalElo.Score, evidence["score"]!.GetValue<double>());
        Assert.Null(evidence["llr"]);
    }

    [Fact]
    public async Task LostMatchesAndMatchesWithoutAVerdictPromoteNothing()
    {
        var (run, store, ledger) = RunWithCheckpoints();
        using var _ = store;
        ledger.ChampionToBeat(run.CheckpointPath(64), 64);
        var h0 = await Match(new RandomPlayerFactory("weak candidate"), "heuristic", sprt: Sprt, games: 400);
        Assert.Equal(EvaluationStatus.SprtAcceptedH0, h0.Status);
        var failed = await Match(new RandomPlayerFactory("weak candidate"), "heuristic", gate: new FixedMatchGate(0.5), games: 10);
        Assert.Equal(EvaluationStatus.GateFailed, failed.Status);
        // A match played to the end without a gate (every game won): "completed" is no verdict, so no promotion either.
        var completed = await Match(new HeuristicPlayerFactory("candidate"), "random", games: 4);
        Assert.Equal(EvaluationStatus.Completed, completed.Status);
        Assert.Equal(1.0, completed.TotalElo.Score);

        Assert.False(ledger.Judge(run.CheckpointPath(128), 128, GatingMode.Sprt, h0));
        Assert.False(ledger.Judge(run.CheckpointPath(128), 128, GatingMode.Fixed, failed));
        Assert.False(ledger.Judge(run.CheckpointPath(128), 128, GatingMode.Fixed, completed));
        var only = Assert.Single(ledger.ChampionHistory());
        Assert.Equal((run.CheckpointPath(64), ChampionStatus.Active), (only.CheckpointPath, only.Status));
    }

    [Fact]
    public void FinalCheckpointJoinsThePoolUnderAStableNameOnlyWithNewWeights()
    {
        var (run, store, ledger) = RunWithCheckpoints();
        using var _ = store;
        Assert.Null(ledger.RegisterCheckpoint(run, run.FinalCheckpointPath, 256));
        WriteCheckpoint(run.FinalCheckpointPath, 300);
        Assert.Equal(run.CheckpointPath(300), ledger.RegisterCheckpoint(run, run.FinalCheckpointPath, 300));
        Assert.Equal(CheckpointFile.ReadInfo(run.FinalCheckpointPath).Sha256, CheckpointFile.ReadInfo(run.CheckpointPath(300)).Sha256);
        Assert.Equal([64L, 128, 192, 256, 300], ledger.Pool().Select(c => c.Timesteps));
    }

    [Fact]
    public void RollingBackToACheckpointMovesAndMarksLaterOnesAndRollsBackNewerChampions()
    {
        var (run, store, ledger) = RunWithCheckpoints();
        using var _ = store;
        foreach (long ts in new long[] { 64, 128, 192, 256 }) store.Promote(run.CheckpointPath(ts), ts, "{}");

        var result = ledger.RollBack(run, "checkpoint_ts128.ckpt");

        string aside = Path.Combine(run.CheckpointsPath, "rolled_back");
        Assert.Equal(new RollbackResult(run.CheckpointPath(128), 128, 3, aside, "rollback to checkpoint_ts128.ckpt requested by the user"), result);
        var stored = Assert.Single(ledger.Rollbacks());
        Assert.Equal(("checkpoint_ts128.ckpt", run.CheckpointPath(256), run.CheckpointPath(128), Path.Combine(aside, "checkpoint_ts256.ckpt"), run.CheckpointPath(128), 128L, 3,
                "rollback to checkpoint_ts128.ckpt requested by the user"),
            (stored.Target, stored.FromChampion, stored.ToChampion, stored.FromCheckpoint, stored.ToCheckpoint, stored.ToTimesteps, stored.Moved, stored.Reason));
        Assert.Equal(Path.GetFullPath(run.CheckpointPath(128)), File.ReadAllText(run.ResumeFromPath));
        Assert.Equal(run.CheckpointPath(128), run.ResumeCandidates()[0]);
        Assert.Equal(["checkpoint_ts192.ckpt", "checkpoint_ts256.ckpt", "final_ts256.ckpt"], Directory.GetFiles(aside).Select(Path.GetFileName).Order());
        Assert.False(File.Exists(run.FinalCheckpointPath));
        Assert.Equal(
            [(run.CheckpointPath(64), CheckpointStatus.Active), (run.CheckpointPath(128), CheckpointStatus.Active),
                (Path.Combine(aside, "checkpoint_ts192.ckpt"), CheckpointStatus.RolledBack), (Path.Combine(aside, "checkpoint_ts256.ckpt"), CheckpointStatus.RolledBack)],
            ledger.Checkpoints().Select(c => (c.Path, c.Status)));
        Assert.Equal([64L, 128], ledger.Pool().Select(c => c.Timesteps));
        Assert.Equal([ChampionStatus.Replaced, ChampionStatus.Active, ChampionStatus.RolledBack, ChampionStatus.RolledBack],
            ledger.ChampionHistory().Select(c => c.Status));

        // Trained on and rolled back again: the files already kept aside are not overwritten.
        WriteCheckpoint(run.CheckpointPath(192), 192);
        ledger.RegisterCheckpoint(run, run.CheckpointPath(192), 192);
        Assert.Equal(2, ledger.RollBack(run, run.CheckpointPath(64)).Moved);
        Assert.True(File.Exists(Path.Combine(aside, "checkpoint_ts192-2.ckpt")));
        Assert.True(File.Exists(Path.Combine(aside, "checkpoint_ts128.ckpt")));
        Assert.Equal([ChampionStatus.Active, ChampionStatus.RolledBack, ChampionStatus.RolledBack, ChampionStatus.RolledBack],
            ledger.ChampionHistory().Select(c => c.Status));
    }

    [Fact]
    public void RollingBackToThePreviousChampionRestoresItAndMovesWhatCameAfter()
    {
        var (run, store, ledger) = RunWithCheckpoints();
        using var _ = store;
        store.Promote(run.CheckpointPath(64), 64, "{}");
        store.Promote(run.CheckpointPath(192), 192, "{}");

        var result = ledger.RollBack(run, RunLedger.PreviousChampion, "  192 lost every game against heuristic \n");

        Assert.Equal((run.CheckpointPath(64), 64L, 4), (result.CheckpointPath, result.Timesteps, result.Moved));
        var stored = Assert.Single(ledger.Rollbacks());
        Assert.Equal((RunLedger.PreviousChampion, run.CheckpointPath(192), run.CheckpointPath(64), 4, "192 lost every game against heuristic"),
            (stored.Target, stored.FromChampion, stored.ToChampion, stored.Moved, stored.Reason));
        Assert.Equal([(64L, ChampionStatus.Active), (192L, ChampionStatus.RolledBack)], ledger.ChampionHistory().Select(c => (c.Timesteps, c.Status)));
        Assert.Equal([64L], ledger.Pool().Select(c => c.Timesteps));
        Assert.Equal([CheckpointStatus.Active, CheckpointStatus.RolledBack, CheckpointStatus.RolledBack, CheckpointStatus.RolledBack],
            ledger.Checkpoints().Select(c => c.Status));
        Assert.Equal(Path.GetFullPath(run.CheckpointPath(64)), File.ReadAllText(run.ResumeFromPath));

        // 64 was the first champion: there is nothing before it.
        var e = Assert.Throws<RollbackException>(() => ledger.RollBack(run, RunLedger.PreviousChampion));
        Assert.Equal((RunLedger.PreviousChampion, "checkpoint_ts64.ckpt is the run's first champion"), (e.Subject, e.Message));
    }

    [Fact]
    public void ARollbackThatCannotBeDoneChangesNothing()
    {
        var (run, store, ledger) = RunWithCheckpoints();
        using var _ = store;
        var noChampion = Assert.Throws<RollbackException>(() => ledger.RollBack(run, RunLedger.PreviousChampion));
        Assert.Equal((RunLedger.PreviousChampion, "run run has no champion"), (noChampion.Subject, noChampion.Message));
        var unknown = Assert.Throws<RollbackException>(() => ledger.RollBack(run, "checkpoint_ts100.ckpt"));
        Assert.Null(unknown.Subject);
        Assert.Equal("no checkpoint 'checkpoint_ts100.ckpt' in run run (checkpoints: checkpoint_ts64.ckpt, checkpoint_ts128.ckpt, checkpoint_ts192.ckpt, checkpoint_ts256.ckpt)",
            unknown.Message);

        // The previous champion's file is gone: its entry is not touched (the current champion stays).
        store.Promote(run.CheckpointPath(64), 64, "{}");
        store.Promote(run.CheckpointPath(128), 128, "{}");
        File.Delete(run.CheckpointPath(64));
        var gone = Assert.Throws<RollbackException>(() => ledger.RollBack(run, RunLedger.PreviousChampion));
        Assert.Equal($"the checkpoint file '{run.CheckpointPath(64)}' no longer exists", gone.Message);
        Assert.Equal([ChampionStatus.Replaced, ChampionStatus.Active], ledger.ChampionHistory().Select(c => c.Status));
        Assert.False(File.Exists(run.ResumeFromPath));
        Assert.All(ledger.Checkpoints(), c => Assert.Equal(CheckpointStatus.Active, c.Status));
        Assert.Empty(ledger.Rollbacks());
    }
}
