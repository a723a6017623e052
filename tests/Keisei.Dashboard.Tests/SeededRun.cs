using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Keisei.Evaluation.Players;
using Keisei.Evaluation.Storage;
using Keisei.Evaluation.Strategies;
using Keisei.Shogi;

namespace Keisei.Dashboard.Tests;

/// <summary>What a seeded game was: its id, evaluation, players and moves, to check the API against.</summary>
public sealed record SeededGame(long Id, long EvaluationId, int GameIndex, int PairIndex, string Black, string White, IReadOnlyList<string> Moves, GameResult Result);

/// <summary>
/// A run folder written the way training writes it: keisei.db through the real results store (players, evaluations with
/// pairs and legal games, checkpoints, champions) and a metrics.jsonl in the trainer's line format. Deterministic.
/// </summary>
public sealed class SeededRun : IDisposable
{
    public const string Name = "seeded";
    public static readonly DateTimeOffset Start = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private SeededRun(string root)
    {
        Root = root;
        Folder = Path.Combine(root, Name);
    }

    public string Root { get; }
    public string Folder { get; }
    public string Database => Path.Combine(Folder, "keisei.db");
    public string MetricsPath => Path.Combine(Folder, "metrics.jsonl");
    public List<SeededGame> Games { get; } = [];
    public long CompletedEvaluation { get; private set; }
    public long GateEvaluation { get; private set; }
    public long RunningEvaluation { get; private set; }
    public int MetricRows { get; private set; }

    /// <summary>The reason of the seeded rollback.</summary>
    public const string RollbackReason = "checkpoint_ts3072 lost every game against heuristic";

    /// <summary>
    /// Takes the database back to an older schema version, as an earlier Keisei left it: drops what the later migrations
    /// added (rollbacks from 4, games.move_times_ms from 3).
    /// </summary>
    public void DowngradeDatabase(int version)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Database};Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "DROP TABLE rollbacks;" + (version < 3 ? " ALTER TABLE games DROP COLUMN move_times_ms;" : "") + $" PRAGMA user_version = {version};";
        cmd.ExecuteNonQuery();
    }

    /// <summary>The players: the run's snapshot, two checkpoints, the anchors.</summary>
    public const string Snapshot = Name + "@ts4096", Checkpoint1 = Name + "/checkpoint_ts2048", Checkpoint2 = Name + "/checkpoint_ts4096";

    /// <summary>
    /// Seeds a run: <paramref name="metricRows"/> trainer rows (an evaluation row every 50th), and about
    /// <paramref name="games"/> games across a completed periodic evaluation, an SPRT gate match and a running one.
    /// </summary>
    public static SeededRun Create(int metricRows = 300, int games = 24, int maxPlies = 40)
    {
        string root = Path.Combine(Path.GetTempPath(), "keisei-dashboard-" + Guid.NewGuid().ToString("N")[..12]);
        var run = new SeededRun(root);
        Directory.CreateDirectory(Path.Combine(run.Folder, "checkpoints"));
        File.WriteAllText(Path.Combine(run.Folder, "config.yaml"), "# seeded\n");
        run.AppendMetrics(metricRows);
        run.SeedDatabase(games, maxPlies);
        return run;
    }

    /// <summary>Appends trainer rows (and every 50th row an evaluation row) to metrics.jsonl, as the metric sink writes them.</summary>
    public void AppendMetrics(int rows)
    {
        var sb = new StringBuilder();
        for (int k = 0; k < rows; k++)
        {
            int i = _trainerRows++;
            sb.Append(Line(i));
            MetricRows++;
            if (i % 50 == 49)
            {
                sb.Append(EvaluationLine(i));
                MetricRows++;
            }
        }
        File.AppendAllText(MetricsPath, sb.ToString());
    }

    private int _trainerRows;

    public static long StepOf(int i) => (i + 1) * 512L;

    private static string Time(int i) => (Start + TimeSpan.FromSeconds(2.0 * i)).ToString("O", CultureInfo.InvariantCulture);

    private static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Line(int i)
    {
        double t = i / 100.0;
        return "{\"timesteps\":" + StepOf(i) + ",\"time\":\"" + Time(i) + "\"" +
            ",\"ppo/policy_loss\":" + N(1.0 / (1 + t) + 0.01 * Math.Sin(i)) +
            ",\"ppo/value_loss\":" + N(0.5 / (1 + t)) +
            ",\"ppo/entropy\":" + N(5 - t * 0.01) +
            ",\"ppo/kl_divergence_approx\":" + N(0.01 + 0.001 * Math.Cos(i)) +
            ",\"ppo/clip_fraction\":" + N(0.1) +
            ",\"ppo/learning_rate\":" + N(3e-4) +
            ",\"selfplay/episodes\":4" +
            ",\"selfplay/black_win_rate\":" + N(0.5 + 0.1 * Math.Sin(t)) +
            ",\"selfplay/white_win_rate\":" + N(0.4) +
            ",\"selfplay/draw_rate\":" + N(0.1 - 0.1 * Math.Sin(t) + 0.1) +
            ",\"selfplay/episode_length\":" + N(80 + i % 7) +
            ",\"perf/samples_per_second\":" + N(1000 + i % 13) +
            ",\"perf/plies_per_second\":" + N(2000 + i % 11) +
            (i == 5 ? ",\"ppo/grad_norm\":null" : "") +
            "}\n";
    }

    private static string EvaluationLine(int i) =>
        "{\"timesteps\":" + StepOf(i) + ",\"time\":\"" + Time(i) + "\"" +
        ",\"evaluation/score\":" + N(0.5 + i / 10000.0) + ",\"evaluation/elo\":" + N(10 + i / 10.0) + ",\"evaluation/elo_ci95\":" + N(40) +
        ",\"evaluation/vs_random/score\":" + N(0.8) + ",\"evaluation/vs_heuristic/score\":" + N(0.3) +
        ",\"evaluation/training_impact\":" + N(0.01) + ",\"evaluation/sla_violations\":0}\n";

    private void SeedDatabase(int games, int maxPlies)
    {
        using var store = ResultsStore.Open(Database);
        long random = store.EnsurePlayer(new PlayerDescriptor("random", ParticipantKind.Random));
        long heuristic = store.EnsurePlayer(new PlayerDescriptor("heuristic", ParticipantKind.Heuristic));
        long snapshot = store.EnsurePlayer(new PlayerDescriptor(Snapshot, ParticipantKind.Snapshot));
        string ckpt1 = Path.Combine(Folder, "checkpoints", "checkpoint_ts2048.ckpt"), ckpt2 = Path.Combine(Folder, "checkpoints", "checkpoint_ts4096.ckpt");
        long c1 = store.EnsurePlayer(new PlayerDescriptor(Checkpoint1, ParticipantKind.Checkpoint, ckpt1, new string('a', 64)));
        long c2 = store.EnsurePlayer(new PlayerDescriptor(Checkpoint2, ParticipantKind.Checkpoint, ckpt2, new string('b', 64)));
        store.RecordCheckpoint(ckpt1, 2048, new string('a', 64));
        store.RecordCheckpoint(ckpt2, 4096, new string('b', 64));
        store.Promote(ckpt1, 2048, new JsonObject { ["reason"] = "first checkpoint of the run (no champion yet)" }.ToJsonString());
        // An earlier rollback, kept with its reason.
        store.RecordRollback("checkpoint_ts2048.ckpt", Path.Combine(Folder, "checkpoints", "checkpoint_ts3072.ckpt"), ckpt1,
            Path.Combine(Folder, "checkpoints", "rolled_back", "checkpoint_ts3072.ckpt"), ckpt1, 2048, 1, RollbackReason);

        int third = Math.Max(2, games / 3 / 2 * 2);
        var names = new Dictionary<long, string> { [random] = "random", [heuristic] = "heuristic", [snapshot] = Snapshot, [c1] = Checkpoint1, [c2] = Checkpoint2 };
        // A periodic evaluation: the snapshot against random and heuristic, finished.
        CompletedEvaluation = store.FindOrCreateEvaluation("periodic", snapshot, "custom", "{\"strategy\":\"custom\"}", third).Evaluation.Id;
        PlayPairs(store, CompletedEvaluation, snapshot, [random, heuristic], third, names, 1, maxPlies);
        store.SetEvaluationStatus(CompletedEvaluation, EvaluationStatus.Completed);
        // A gate match under an SPRT: the new checkpoint against the champion; it passed.
        GateEvaluation = store.FindOrCreateEvaluation("gate", c2, "single_opponent",
            "{\"strategy\":\"single_opponent\",\"sprt\":\"elo0=0,elo1=10,alpha=0.05,beta=0.05,model=normalized\"}", third).Evaluation.Id;
        PlayPairs(store, GateEvaluation, c2, [c1], third, names, 2, maxPlies);
        store.SetEvaluationStatus(GateEvaluation, EvaluationStatus.SprtAcceptedH1);
        store.Promote(ckpt2, 4096, new JsonObject { ["mode"] = "sprt", ["evaluation_id"] = GateEvaluation, ["status"] = "sprt_accepted_h1", ["llr"] = 3.1 }.ToJsonString());
        // Still running: half its games played.
        RunningEvaluation = store.FindOrCreateEvaluation("running", snapshot, "custom", "{\"strategy\":\"custom\"}", 2 * third).Evaluation.Id;
        PlayPairs(store, RunningEvaluation, snapshot, [random], Math.Max(2, games - 2 * third), names, 3, maxPlies);
    }

    /// <summary>Plays colour-swapped pairs of random legal games (the agent's results decided by the game index) and stores them.</summary>
    private void PlayPairs(ResultsStore store, long evaluation, long agent, long[] opponents, int count, Dictionary<long, string> names, int seed, int maxPlies)
    {
        var rng = new Random(seed);
        var played = new List<(int Index, int Pair, string Black, string White, List<string> Moves, GameResult Result)>();
        for (int index = 0; index < count; index++)
        {
            int pair = index / 2;
            long opponent = opponents[pair % opponents.Length];
            bool agentBlack = index % 2 == 0;
            long black = agentBlack ? agent : opponent, white = agentBlack ? opponent : agent;
            long pairId = store.EnsurePair(evaluation, pair, 0, Position.StartSfen, agent, opponent);
            var game = new Game();
            int plies = 10 + rng.Next(Math.Max(1, maxPlies - 10));
            while (game.Plies < plies && !game.IsOver)
            {
                var list = new MoveList();
                game.Position.GenerateLegalMoves(ref list);
                if (list.Count == 0) break;
                game.PlayLegal(list[rng.Next(list.Count)]);
            }
            // The agent wins 3 of 5 games, draws 1, loses 1.
            int outcome = index % 5;
            var agentResult = outcome < 3 ? 1 : outcome == 3 ? 0 : -1;
            var result = game.IsOver ? game.Result : agentResult == 0 ? GameResult.Draw : (agentResult > 0) == agentBlack ? GameResult.BlackWin : GameResult.WhiteWin;
            var termination = game.IsOver ? game.Termination : result == GameResult.Draw ? TerminationReason.MaxMoves : TerminationReason.Resignation;
            var times = game.Moves.Select((_, k) => TimeSpan.FromMilliseconds(100 + k)).ToList();
            store.RecordGame(evaluation, pairId, index, black, white, Position.StartSfen, game.Moves, result, termination, TimeSpan.FromSeconds(game.Plies), null, times);
            played.Add((index, pair, names[black], names[white], [.. game.Moves.Select(m => m.ToUsi())], result));
        }
        var ids = store.Games(evaluation).ToDictionary(g => g.GameIndex, g => g.Id);
        Games.AddRange(played.Select(p => new SeededGame(ids[p.Index], evaluation, p.Index, p.Pair, p.Black, p.White, p.Moves, p.Result)));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a slow machine; the temp folder is cleaned later.
        }
    }
}
